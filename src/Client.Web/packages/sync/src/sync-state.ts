import { backoffDelay } from "./backoff.js";
import { ApiProblem, isNetworkFailure } from "./problem.js";
import type { SyncState } from "./store.js";

/** What a request that failed says: the network failed, the server answered with an error, or the device failed. */
export type Failure =
  /** fetch rejected, or was timed out: the server is out of reach. */
  | { kind: "unreachable" }
  /** A non-2xx answer (problem+json, or a proxy's page as `http-<status>`). */
  | { kind: "problem"; problem: ApiProblem }
  /** Not the server's fault: the device failed on what it got (bytes whose history it lacks, say). */
  | { kind: "failed"; message: string };

/** What came back from a request of a sync round, as far as the sync state is concerned. */
export type ServerAnswer =
  /** Claim, push and pull fail alike, except that only a push can be refused for the change itself. */
  | ({ request: "claim" | "push" | "pull" } & Failure)
  /** The pull went through: the workspace's schema version, and how many local changes still wait. */
  | { request: "pull"; kind: "pulled"; serverVersion: number; pendingLeft: number }
  /** The live event stream: failed, sent `revoked`, `deleted` or `app-suspended`, or ended. */
  | ({ request: "events" } & (Failure | { kind: "revoked" } | { kind: "deleted" } | { kind: "app-suspended" } | { kind: "ended" }));

/** When to try again: the usual backoff, the slow one for a change the server may accept later, or what it asked for. */
export type Retry = { after: "backoff" } | { after: "slow-backoff" } | { after: "seconds"; seconds: number };

/**
 * What the worker does with an answer, and what the user sees (`state`, `detail`). A closed set: the worker switches
 * over `kind` and does nothing else.
 */
export type SyncDecision =
  /** Pulled, nothing wrong: `synced`, or `syncing` while local changes wait. */
  | { kind: "settled"; state: "synced" | "syncing"; serverVersion: number }
  /** The workspace's schema is newer than this app: edits stay local until the app is updated. */
  | { kind: "update-required"; state: "update-required"; detail: string; serverVersion: number }
  /** A push refused as outdated by an app that knows the newer schema: a page migrates, then the worker pushes again. */
  | { kind: "migrate"; state: "syncing"; detail: string; serverVersion: number }
  /** A push refused for the change itself: it stays pending, pulling goes on, and `retry` (if any) pushes it again. */
  | { kind: "refused"; state: "version-unreleased" | "quota-exceeded" | "error"; detail: string; retry?: Retry }
  /** The token no longer works: syncing stops until the device joins again; local edits stay. */
  | { kind: "access-lost"; state: "access-lost"; detail: string }
  /** Something to wait out: show `state` and sync again after `retry`. */
  | { kind: "retry"; state: "offline" | "syncing" | "app-suspended" | "quota-exceeded" | "error"; detail: string; retry: Retry }
  /** Nothing a retry fixes and nothing the device can do (the id belongs to someone else, or was deleted). */
  | { kind: "stopped"; state: "error" | "deleted"; detail: string }
  /** The live stream failed or ended for a reason that is not about access: listen again, no change of state. */
  | { kind: "listen-again"; retry: Retry };

/** What a thrown error says. */
export function failureOf(error: unknown): Failure {
  if (isNetworkFailure(error)) return { kind: "unreachable" };
  if (error instanceof ApiProblem) return { kind: "problem", problem: error };
  return { kind: "failed", message: error instanceof Error ? error.message : String(error) };
}

/** An answer on the live event stream. */
export type LiveAnswer = Extract<ServerAnswer, { request: "events" }>;

/** What a failed claim or pull (or a push failed for other reasons than its change) leads to. */
export type FailureDecision = Extract<SyncDecision, { kind: "access-lost" | "retry" | "stopped" }>;
/** A push can also be refused for its change, or as outdated. */
export type PushDecision = FailureDecision | Extract<SyncDecision, { kind: "refused" | "update-required" | "migrate" }>;
/** A pull that went through. */
export type PulledDecision = Extract<SyncDecision, { kind: "settled" | "update-required" }>;
/** The live stream's answers lead to one of these. */
export type LiveDecision = Extract<SyncDecision, { kind: "access-lost" | "listen-again" | "stopped" }>;

/** Maps an answer to a request of a sync round to what the worker does and what the user sees. Pure. */
export function syncState(answer: LiveAnswer, appVersion: number): LiveDecision;
export function syncState(answer: { request: "claim" | "pull" } & Failure, appVersion: number): FailureDecision;
export function syncState(answer: { request: "push" } & Failure, appVersion: number): PushDecision;
export function syncState(answer: Extract<ServerAnswer, { kind: "pulled" }>, appVersion: number): PulledDecision;
export function syncState(answer: ServerAnswer, appVersion: number): SyncDecision;
export function syncState(answer: ServerAnswer, appVersion: number): SyncDecision {
  if (answer.request === "events") {
    return liveDecision(answer);
  }
  switch (answer.kind) {
    case "pulled":
      return answer.serverVersion > appVersion
        ? {
            kind: "update-required",
            state: "update-required",
            serverVersion: answer.serverVersion,
            detail: `This workspace uses schema version ${answer.serverVersion}; this app knows ${appVersion}. Update the app to keep syncing.`,
          }
        : { kind: "settled", state: answer.pendingLeft > 0 ? "syncing" : "synced", serverVersion: answer.serverVersion };
    case "unreachable":
      return { kind: "retry", state: "offline", detail: "The server is out of reach; retrying.", retry: { after: "backoff" } };
    case "failed":
      return { kind: "retry", state: "error", detail: answer.message, retry: { after: "backoff" } };
    case "problem":
      return (answer.request === "push" ? pushRefusal(answer.problem, appVersion) : undefined) ?? problemDecision(answer.problem);
  }
}

/** The pause before the `attempt`-th retry (0 first). */
export function retryDelay(retry: Retry, attempt: number, random: () => number = Math.random): number {
  switch (retry.after) {
    case "backoff":
      return backoffDelay(attempt, 1000, 30_000, random);
    case "slow-backoff":
      // Slower than a network retry: what the server refused changes with a release or with pruning, which take a while.
      return backoffDelay(attempt, 10_000, 10 * 60_000, random);
    case "seconds":
      return retry.seconds * 1000;
  }
}

/**
 * A push the server refused for the change itself, not for the connection or the access; undefined for any other
 * problem. `quota-exceeded` is a 403 that is not a loss of access. `unknown-version` means this app writes a schema
 * version the deployment has not released yet (a newer app reached this device first): the change waits, and is
 * retried, since the server may learn the version later.
 */
function pushRefusal(problem: ApiProblem, appVersion: number): PushDecision | undefined {
  if (problem.code === "outdated-version" && problem.currentVersion !== undefined) {
    const currentVersion = problem.currentVersion;
    return currentVersion > appVersion
      ? {
          kind: "update-required",
          state: "update-required",
          serverVersion: currentVersion,
          detail: `The server refused this device's changes: the workspace is at schema version ${currentVersion}, this app writes ${appVersion}. Update the app; your edits are kept on this device.`,
        }
      // This app knows the newer schema but the document was not migrated yet: a page runs the migrations (the
      // worker has no app code) and tells the worker to sync again.
      : { kind: "migrate", state: "syncing", serverVersion: currentVersion, detail: "Migrating the document to the current schema." };
  }
  if (problem.code === "unknown-version") {
    const newest = problem.maxSchemaVersion === undefined ? "" : ` (the newest it knows is ${problem.maxSchemaVersion})`;
    return {
      kind: "refused",
      state: "version-unreleased",
      detail: `The server does not accept schema version ${appVersion} yet${newest}. Your changes stay on this device and are sent once it does.`,
      retry: { after: "slow-backoff" },
    };
  }
  if (problem.code === "quota-exceeded") {
    // Full: pruning after a snapshot, an operator raising the quota or another workspace deleted can free room, so the
    // change waits and is tried again later.
    return { kind: "refused", state: "quota-exceeded", detail: quotaDetail(problem), retry: { after: "slow-backoff" } };
  }
  if (problem.status === 413) {
    return {
      kind: "refused",
      state: "error",
      detail: `A change is larger than the server accepts (${problem.message}). It stays on this device; changes from others still arrive.`,
    };
  }
  if (problem.status === 422) {
    return { kind: "refused", state: "error", detail: `The server refused a change as corrupt (${problem.message}). It stays on this device.` };
  }
  return undefined;
}

/** What a user reads about a quota the server refused a write or a claim for; the problem names which one. */
export function quotaDetail(problem: ApiProblem): string {
  const quota = problem.quota;
  const kept = "Your edits stay on this device and are sent once there is room.";
  switch (quota?.name) {
    case "maxWorkspaces":
      return `This app has reached its limit of ${quota.limit} workspaces on the server, so this one is not on the server yet. ${kept}`;
    case "maxWorkspaceBytes":
      return `This workspace is full on the server (${quota.used} of ${quota.limit} bytes). ${kept}`;
    case "maxAppBytes":
      return `This app's storage on the server is full (${quota.used} of ${quota.limit} bytes, all its workspaces together). ${kept}`;
    default:
      return `The server refused this for a quota (${problem.message}). ${kept}`;
  }
}

function problemDecision(problem: ApiProblem): FailureDecision {
  // Before the other 403s: a suspended app has not lost access, it waits.
  if (problem.code === "app-suspended") return suspended;
  // Nor has a device whose app may not create more workspaces (a claim beyond maxWorkspaces): it waits for room.
  if (problem.code === "quota-exceeded") {
    return { kind: "retry", state: "quota-exceeded", detail: quotaDetail(problem), retry: { after: "slow-backoff" } };
  }
  if (problem.status === 410 && problem.code === "workspace-deleted") return deleted;
  if (problem.status === 401) {
    return {
      kind: "access-lost",
      state: "access-lost",
      detail: `This device's access ended (${problem.message}). Your edits stay on this device until the owner invites it again.`,
    };
  }
  if (problem.status === 403) {
    return { kind: "access-lost", state: "access-lost", detail: `This device may not do that here (${problem.message}).` };
  }
  if (problem.status === 409 && problem.code === "workspace-exists") {
    return { kind: "stopped", state: "error", detail: "Another owner already claimed this workspace id." };
  }
  // Rate limits, conflicts to retry, a service restarting: try again, honouring Retry-After.
  return { kind: "retry", state: "syncing", detail: `Retrying: ${problem.message}`, retry: retryAfter(problem) };
}

const suspended: Extract<SyncDecision, { kind: "retry" }> = {
  kind: "retry",
  state: "app-suspended",
  detail: "This app is suspended on the server by its operators. Your edits stay on this device and sync once it is resumed.",
  // Suspensions last minutes to days: retry slowly, and resume by itself when the server answers again.
  retry: { after: "slow-backoff" },
};

const deleted: Extract<SyncDecision, { kind: "stopped" }> = {
  kind: "stopped",
  state: "deleted",
  detail: "This workspace was deleted on the server. What this device holds is its last copy; it no longer syncs.",
};

function liveDecision(answer: LiveAnswer): LiveDecision {
  if (answer.kind === "deleted" || (answer.kind === "problem" && answer.problem.status === 410 && answer.problem.code === "workspace-deleted")) {
    return deleted;
  }
  // A suspended app, or a device holding as many live streams as its app allows: listen again later (pulls go on).
  if (answer.kind === "app-suspended" || (answer.kind === "problem" && (answer.problem.code === "app-suspended" || answer.problem.code === "quota-exceeded"))) {
    return { kind: "listen-again", retry: { after: "slow-backoff" } };
  }
  if (answer.kind === "revoked") {
    return {
      kind: "access-lost",
      state: "access-lost",
      detail: "This device's access ended (revoked by the owner, or expired). Your edits stay on this device.",
    };
  }
  if (answer.kind === "problem" && (answer.problem.status === 401 || answer.problem.status === 403)) {
    return { kind: "access-lost", state: "access-lost", detail: `This device's access ended (${answer.problem.message}). Your edits stay on this device.` };
  }
  // The stream ended or failed: listen again after a growing pause (the worker pulls whatever was missed meanwhile).
  return { kind: "listen-again", retry: answer.kind === "problem" ? retryAfter(answer.problem) : { after: "backoff" } };
}

function retryAfter(problem: ApiProblem): Retry {
  return problem.retryAfterSeconds ? { after: "seconds", seconds: problem.retryAfterSeconds } : { after: "backoff" };
}
