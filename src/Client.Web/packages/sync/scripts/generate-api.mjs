import { writeFile } from "node:fs/promises";
import { generate, services } from "./api-types.mjs";

// Writes src/api/{service}.ts from each service's OpenAPI document.
for (const service of services) {
  const target = new URL(`../src/api/${service}.ts`, import.meta.url);
  await writeFile(target, await generate(service));
  console.log(`wrote ${target.pathname}`);
}
