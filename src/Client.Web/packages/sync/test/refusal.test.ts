import { describe, expect, it } from "vitest";
import { ApiProblem } from "../src/problem.js";
import { refusalOf, refusalRetryDelay } from "../src/refusal.js";

describe("refusalOf", () => {
  it("keeps a change of an unreleased schema version pending, retries it and says so", () => {
    const refusal = refusalOf(new ApiProblem(400, "unknown-version", "not released", undefined, undefined, 2), 3);
    expect(refusal?.state).toBe("version-unreleased");
    expect(refusal?.retry).toBe(true);
    expect(refusal?.detail).toContain("schema version 3");
    expect(refusal?.detail).toContain("newest it knows is 2");
  });

  it("stops on a change too large or corrupt, which a retry would not fix", () => {
    expect(refusalOf(new ApiProblem(413, "payload-too-large", "too big"), 1)).toMatchObject({ state: "error", retry: false });
    expect(refusalOf(new ApiProblem(422, "invalid-document", "corrupt"), 1)).toMatchObject({ state: "error", retry: false });
  });

  it("keeps a change refused by a full workspace pending and retries it, rather than treating the 403 as lost access", () => {
    expect(refusalOf(new ApiProblem(403, "quota-exceeded", "full"), 1)).toMatchObject({ state: "error", retry: true });
  });

  it("leaves other problems to the usual handling", () => {
    expect(refusalOf(new ApiProblem(400, "invalid-request", "bad"), 1)).toBeUndefined();
    expect(refusalOf(new ApiProblem(409, "outdated-version", "old", 4), 1)).toBeUndefined();
    expect(refusalOf(new ApiProblem(403, "forbidden", "read only"), 1)).toBeUndefined();
  });
});

describe("refusalRetryDelay", () => {
  it("backs off from ten seconds to at most ten minutes", () => {
    expect([0, 1, 2].map((a) => refusalRetryDelay(a, () => 1))).toEqual([10_000, 20_000, 40_000]);
    expect(refusalRetryDelay(30, () => 1)).toBe(600_000);
  });
});
