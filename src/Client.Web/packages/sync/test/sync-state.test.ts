import { describe, expect, it } from "vitest";
import { ApiProblem } from "../src/problem.js";
import type { SyncState } from "../src/store.js";
import { failureOf, retryDelay, syncState, type ServerAnswer, type SyncDecision } from "../src/sync-state.js";

const appVersion = 2;
const problem = (
  status: number,
  code: ConstructorParameters<typeof ApiProblem>[1],
  extra: { currentVersion?: number; retryAfter?: number; maxSchemaVersion?: number; quota?: { name: string; limit: number; used: number } } = {},
) =>
  ({ kind: "problem", problem: new ApiProblem(status, code, `${code} happened`, extra.currentVersion, extra.retryAfter, extra.maxSchemaVersion, extra.quota) }) as const;
const requests = ["claim", "push", "pull"] as const;

describe("failureOf", () => {
  it("tells an unreachable server, an answer and the device's own failure apart", () => {
    expect(failureOf(new TypeError("Failed to fetch"))).toEqual({ kind: "unreachable" });
    expect(failureOf(new DOMException("timed out", "TimeoutError"))).toEqual({ kind: "unreachable" });
    const answer = new ApiProblem(503, "unavailable", "down");
    expect(failureOf(answer)).toEqual({ kind: "problem", problem: answer });
    expect(failureOf(new Error("history missing"))).toEqual({ kind: "failed", message: "history missing" });
    expect(failureOf("odd")).toEqual({ kind: "failed", message: "odd" });
  });
});

describe("syncState of a claim, push or pull that failed", () => {
  it.each(requests)("%s: an unreachable server is offline, retried with backoff", (request) => {
    expect(syncState({ request, kind: "unreachable" }, appVersion))
      .toEqual({ kind: "retry", state: "offline", detail: "The server is out of reach; retrying.", retry: { after: "backoff" } });
  });

  it.each(requests)("%s: the device's own failure is an error with its message, retried with backoff", (request) => {
    expect(syncState({ request, kind: "failed", message: "history missing" }, appVersion))
      .toEqual({ kind: "retry", state: "error", detail: "history missing", retry: { after: "backoff" } });
  });

  it.each(requests)("%s: unauthorized (401) loses access; edits stay until the owner invites the device again", (request) => {
    const decision = syncState({ request, ...problem(401, "unauthorized") }, appVersion);
    expect(decision).toMatchObject({ kind: "access-lost", state: "access-lost" });
    expect(decision.kind === "access-lost" && decision.detail).toContain("until the owner invites it again");
  });

  it.each(requests)("%s: forbidden (403) loses access", (request) => {
    expect(syncState({ request, ...problem(403, "forbidden") }, appVersion))
      .toEqual({ kind: "access-lost", state: "access-lost", detail: "This device may not do that here (forbidden happened)." });
  });

  it.each(requests)("%s: a workspace id claimed by someone else stops with an error, not retried", (request) => {
    expect(syncState({ request, ...problem(409, "workspace-exists") }, appVersion))
      .toEqual({ kind: "stopped", state: "error", detail: "Another owner already claimed this workspace id." });
  });

  it.each(requests)("%s: rate-limited is retried after Retry-After", (request) => {
    expect(syncState({ request, ...problem(429, "rate-limited", { retryAfter: 7 }) }, appVersion))
      .toEqual({ kind: "retry", state: "syncing", detail: "Retrying: rate-limited happened", retry: { after: "seconds", seconds: 7 } });
  });

  it.each(requests)("%s: a service away (503), a proxy's page (502) or a conflict to retry is retried with backoff", (request) => {
    for (const answer of [problem(503, "unavailable"), problem(502, "http-502"), problem(409, "idempotency-conflict"), problem(500, "http-500")]) {
      expect(syncState({ request, ...answer }, appVersion)).toMatchObject({ kind: "retry", state: "syncing", retry: { after: "backoff" } });
    }
  });

  it.each(["claim", "pull"] as const)("%s: what refuses a push's change is no refusal here (no change was sent)", (request) => {
    expect(syncState({ request, ...problem(400, "unknown-version", { maxSchemaVersion: 1 }) }, appVersion)).toMatchObject({ kind: "retry", state: "syncing" });
    expect(syncState({ request, ...problem(409, "outdated-version", { currentVersion: 3 }) }, appVersion)).toMatchObject({ kind: "retry", state: "syncing" });
    expect(syncState({ request, ...problem(413, "payload-too-large") }, appVersion)).toMatchObject({ kind: "retry", state: "syncing" });
  });

  it("waits, not losing access, when a claim passes the app's workspaces (quota-exceeded), and says which limit", () => {
    const decision = syncState({ request: "claim", ...problem(403, "quota-exceeded", { quota: { name: "maxWorkspaces", limit: 3, used: 3 } }) }, appVersion);
    expect(decision).toMatchObject({ kind: "retry", state: "quota-exceeded", retry: { after: "slow-backoff" } });
    expect(decision.kind === "retry" && decision.detail).toContain("limit of 3 workspaces");
  });
});

describe("syncState of a refused push", () => {
  it("keeps a change of an unreleased schema version pending, retries it slowly and says so", () => {
    const decision = syncState({ request: "push", ...problem(400, "unknown-version", { maxSchemaVersion: 1 }) }, appVersion);
    expect(decision).toMatchObject({ kind: "refused", state: "version-unreleased", retry: { after: "slow-backoff" } });
    expect(decision.kind === "refused" && decision.detail).toContain("schema version 2");
    expect(decision.kind === "refused" && decision.detail).toContain("newest it knows is 1");
    const unsaid = syncState({ request: "push", ...problem(400, "unknown-version") }, appVersion);
    expect(unsaid.kind === "refused" && unsaid.detail).not.toContain("newest");
  });

  it("keeps a change refused by a full workspace or app (quota-exceeded) pending and retries it, saying which is full", () => {
    const workspace = syncState({ request: "push", ...problem(403, "quota-exceeded", { quota: { name: "maxWorkspaceBytes", limit: 100, used: 90 } }) }, appVersion);
    expect(workspace).toMatchObject({ kind: "refused", state: "quota-exceeded", retry: { after: "slow-backoff" } });
    expect(workspace.kind === "refused" && workspace.detail).toContain("This workspace is full on the server (90 of 100 bytes)");
    const app = syncState({ request: "push", ...problem(403, "quota-exceeded", { quota: { name: "maxAppBytes", limit: 1000, used: 990 } }) }, appVersion);
    expect(app.kind === "refused" && app.detail).toContain("This app's storage on the server is full");
    const unnamed = syncState({ request: "push", ...problem(403, "quota-exceeded") }, appVersion);
    expect(unnamed).toMatchObject({ kind: "refused", state: "quota-exceeded" });
  });

  it("stops on a change too large (413) or corrupt (422), which a retry would not fix", () => {
    for (const answer of [problem(413, "payload-too-large"), problem(422, "invalid-document")]) {
      const decision = syncState({ request: "push", ...answer }, appVersion);
      expect(decision).toMatchObject({ kind: "refused", state: "error" });
      expect(decision).not.toHaveProperty("retry");
    }
  });

  it("asks for an update when the workspace's schema (outdated-version) is newer than the app", () => {
    const decision = syncState({ request: "push", ...problem(409, "outdated-version", { currentVersion: 3 }) }, appVersion);
    expect(decision).toMatchObject({ kind: "update-required", state: "update-required", serverVersion: 3 });
    expect(decision.kind === "update-required" && decision.detail).toContain("this app writes 2");
  });

  it("migrates when the app knows the schema the server wants", () => {
    for (const currentVersion of [1, 2]) {
      expect(syncState({ request: "push", ...problem(409, "outdated-version", { currentVersion }) }, appVersion))
        .toEqual({ kind: "migrate", state: "syncing", serverVersion: currentVersion, detail: "Migrating the document to the current schema." });
    }
  });

  it("retries an outdated-version that does not say the current version, like any conflict", () => {
    expect(syncState({ request: "push", ...problem(409, "outdated-version") }, appVersion)).toMatchObject({ kind: "retry", state: "syncing" });
  });

  it("loses access on 401 and on a 403 that is not about the quota (a read-only token writing)", () => {
    expect(syncState({ request: "push", ...problem(401, "unauthorized") }, appVersion)).toMatchObject({ kind: "access-lost" });
    expect(syncState({ request: "push", ...problem(403, "forbidden") }, appVersion)).toMatchObject({ kind: "access-lost" });
  });
});

describe("syncState of a pull that went through", () => {
  it("is synced with nothing pending, syncing while local changes wait", () => {
    expect(syncState({ request: "pull", kind: "pulled", serverVersion: 2, pendingLeft: 0 }, appVersion)).toEqual({ kind: "settled", state: "synced", serverVersion: 2 });
    expect(syncState({ request: "pull", kind: "pulled", serverVersion: 1, pendingLeft: 3 }, appVersion)).toEqual({ kind: "settled", state: "syncing", serverVersion: 1 });
    expect(syncState({ request: "pull", kind: "pulled", serverVersion: 0, pendingLeft: 0 }, appVersion)).toMatchObject({ state: "synced" });
  });

  it("asks for an update when the workspace's schema is newer than the app", () => {
    const decision = syncState({ request: "pull", kind: "pulled", serverVersion: 3, pendingLeft: 0 }, appVersion);
    expect(decision).toMatchObject({ kind: "update-required", state: "update-required", serverVersion: 3 });
    expect(decision.kind === "update-required" && decision.detail).toContain("schema version 3; this app knows 2");
  });
});

describe("syncState of the live event stream", () => {
  it("loses access on the revoked event, and on 401 or 403", () => {
    expect(syncState({ request: "events", kind: "revoked" }, appVersion)).toMatchObject({ kind: "access-lost", state: "access-lost" });
    expect(syncState({ request: "events", ...problem(401, "unauthorized") }, appVersion))
      .toEqual({ kind: "access-lost", state: "access-lost", detail: "This device's access ended (unauthorized happened). Your edits stay on this device." });
    expect(syncState({ request: "events", ...problem(403, "forbidden") }, appVersion)).toMatchObject({ kind: "access-lost" });
  });

  it("listens again after an end, an unreachable server or any other answer, honouring Retry-After, without a new state", () => {
    const backoff = { kind: "listen-again", retry: { after: "backoff" } };
    expect(syncState({ request: "events", kind: "ended" }, appVersion)).toEqual(backoff);
    expect(syncState({ request: "events", kind: "unreachable" }, appVersion)).toEqual(backoff);
    expect(syncState({ request: "events", kind: "failed", message: "bad json" }, appVersion)).toEqual(backoff);
    expect(syncState({ request: "events", ...problem(503, "unavailable") }, appVersion)).toEqual(backoff);
    expect(syncState({ request: "events", ...problem(429, "rate-limited", { retryAfter: 3 }) }, appVersion))
      .toEqual({ kind: "listen-again", retry: { after: "seconds", seconds: 3 } });
  });
});

describe("the states the UI shows", () => {
  it("each comes from some answer, but `local`, which only a workspace never synced has", () => {
    const answers: ServerAnswer[] = [
      ...requests.flatMap((request) => [
        { request, kind: "unreachable" },
        { request, kind: "failed", message: "x" },
        ...[problem(401, "unauthorized"), problem(403, "forbidden"), problem(403, "quota-exceeded"), problem(409, "workspace-exists"),
          problem(409, "outdated-version", { currentVersion: 1 }), problem(409, "outdated-version", { currentVersion: 9 }),
          problem(400, "unknown-version"), problem(413, "payload-too-large"), problem(429, "rate-limited", { retryAfter: 1 })]
          .map((answer) => ({ request, ...answer }) as ServerAnswer),
      ] as ServerAnswer[]),
      { request: "pull", kind: "pulled", serverVersion: 2, pendingLeft: 0 },
      { request: "pull", kind: "pulled", serverVersion: 2, pendingLeft: 1 },
      { request: "events", kind: "revoked" },
      { request: "pull", ...problem(403, "app-suspended") } as ServerAnswer,
      { request: "pull", ...problem(410, "workspace-deleted") } as ServerAnswer,
    ];
    const shown = new Set<SyncState | undefined>(answers.map((answer) => syncState(answer, appVersion)).map((d: SyncDecision) => ("state" in d ? d.state : undefined)));
    const all: SyncState[] = [
      "local", "syncing", "synced", "offline", "access-lost", "update-required", "version-unreleased", "app-suspended", "quota-exceeded", "deleted", "error"];
    expect(all.filter((state) => !shown.has(state))).toEqual(["local"]);
  });
});

describe("retryDelay", () => {
  it("backs off from one second to at most thirty, with jitter below the ceiling", () => {
    expect([0, 1, 2, 10].map((a) => retryDelay({ after: "backoff" }, a, () => 1))).toEqual([1000, 2000, 4000, 30_000]);
    expect(retryDelay({ after: "backoff" }, 0, () => 0)).toBe(500);
  });

  it("backs off a refused change from ten seconds to at most ten minutes", () => {
    expect([0, 1, 2].map((a) => retryDelay({ after: "slow-backoff" }, a, () => 1))).toEqual([10_000, 20_000, 40_000]);
    expect(retryDelay({ after: "slow-backoff" }, 30, () => 1)).toBe(600_000);
  });

  it("waits what the server asked for", () => {
    expect(retryDelay({ after: "seconds", seconds: 7 }, 5)).toBe(7000);
  });
});

describe("syncState of an app's suspension and a workspace's deletion", () => {
  it.each(requests)("%s: a suspended app (403 app-suspended) waits, retried slowly, and keeps its access", (request) => {
    const decision = syncState({ request, ...problem(403, "app-suspended") }, appVersion);
    expect(decision).toMatchObject({ kind: "retry", state: "app-suspended", retry: { after: "slow-backoff" } });
    expect(decision.kind === "retry" && decision.detail).toContain("sync once it is resumed");
  });

  it.each(requests)("%s: a deleted workspace (410 workspace-deleted) stops for good", (request) => {
    expect(syncState({ request, ...problem(410, "workspace-deleted") }, appVersion)).toMatchObject({ kind: "stopped", state: "deleted" });
  });

  it("live: `deleted` and a 410 stop the stream; `app-suspended` and its 403 listen again slowly, keeping access", () => {
    expect(syncState({ request: "events", kind: "deleted" }, appVersion)).toMatchObject({ kind: "stopped", state: "deleted" });
    expect(syncState({ request: "events", ...problem(410, "workspace-deleted") }, appVersion)).toMatchObject({ kind: "stopped" });
    expect(syncState({ request: "events", kind: "app-suspended" }, appVersion)).toEqual({ kind: "listen-again", retry: { after: "slow-backoff" } });
    expect(syncState({ request: "events", ...problem(403, "app-suspended") }, appVersion))
      .toEqual({ kind: "listen-again", retry: { after: "slow-backoff" } });
  });

  it("live: a device at its app's maxLiveStreamsPerClient (quota-exceeded) listens again slowly, keeping access", () => {
    expect(syncState({ request: "events", ...problem(403, "quota-exceeded", { quota: { name: "maxLiveStreamsPerClient", limit: 2, used: 2 } }) }, appVersion))
      .toEqual({ kind: "listen-again", retry: { after: "slow-backoff" } });
  });
});
