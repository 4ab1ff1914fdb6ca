import { backoffDelay } from "./backoff.js";
import type { ApiProblem } from "./problem.js";
import type { SyncState } from "./store.js";

/** What a refused push means for the workspace: the change stays pending either way; pulling goes on. */
export interface Refusal {
  state: SyncState;
  detail: string;
  /** Push again after a pause (the server may accept it later), or wait for the user to act. */
  retry: boolean;
}

/**
 * A push the server refused for the change itself, not for the connection or the access; undefined for any other
 * problem (a `quota-exceeded` 403 is one of these, not a loss of access). `unknown-version` means this app writes a schema version the deployment has not released yet (a newer app
 * reached this device first): the change waits, and is retried, since the server may learn the version later.
 */
export function refusalOf(problem: ApiProblem, appVersion: number): Refusal | undefined {
  if (problem.code === "unknown-version") {
    const newest = problem.maxSchemaVersion === undefined ? "" : ` (the newest it knows is ${problem.maxSchemaVersion})`;
    return {
      state: "version-unreleased",
      detail: `The server does not accept schema version ${appVersion} yet${newest}. Your changes stay on this device and are sent once it does.`,
      retry: true,
    };
  }
  if (problem.code === "quota-exceeded") {
    // A 403 that is not about access: the workspace is full. Pruning after a snapshot can free room, so try again later.
    return {
      state: "error",
      detail: `The workspace is full on the server (${problem.message}). Your changes stay on this device and are retried.`,
      retry: true,
    };
  }
  if (problem.status === 413) {
    return {
      state: "error",
      detail: `A change is larger than the server accepts (${problem.message}). It stays on this device; changes from others still arrive.`,
      retry: false,
    };
  }
  if (problem.status === 422) {
    return { state: "error", detail: `The server refused a change as corrupt (${problem.message}). It stays on this device.`, retry: false };
  }
  return undefined;
}

/** The pause before pushing a waiting change again: slower than a network retry, since a release takes a while. */
export function refusalRetryDelay(attempt: number, random: () => number = Math.random): number {
  return backoffDelay(attempt, 10_000, 10 * 60_000, random);
}
