import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
// @ts-expect-error plain JavaScript build script without type declarations
import { generate, services } from "../scripts/api-types.mjs";

describe("generated API types", () => {
  it.each(services as string[])("src/api/%s.ts matches the service's OpenAPI document (run `npm run api` if not)", async (service) => {
    const committed = await readFile(new URL(`../src/api/${service}.ts`, import.meta.url), "utf8");
    expect(committed).toBe(await generate(service));
  });
});
