import type { ProblemCode } from "./api/schemas.js";

/** An RFC 9457 problem from the API, with SyncEngine's machine-readable `code` (docs/design.md lists them). */
export class ApiProblem extends Error {
  constructor(
    readonly status: number,
    /** One of the API's codes, or `http-<status>` when the answer was not problem+json. */
    readonly code: ProblemCode | `http-${number}` | "invalid-response",
    detail: string,
    readonly currentVersion?: number,
    readonly retryAfterSeconds?: number,
    /** With `unknown-version`: the newest schema version the server accepts. */
    readonly maxSchemaVersion?: number,
    /** With `quota-exceeded`: which of the app's quotas (`maxWorkspaces`, `maxWorkspaceBytes`, `maxAppBytes`, …), its limit and what is used. */
    readonly quota?: Quota,
  ) {
    super(detail);
    this.name = "ApiProblem";
  }

  static async from(response: Response): Promise<ApiProblem> {
    let body: {
      code?: unknown; detail?: unknown; title?: unknown; currentVersion?: unknown; maxSchemaVersion?: unknown;
      quota?: unknown; limit?: unknown; used?: unknown;
    } = {};
    try {
      body = (await response.json()) as typeof body;
    } catch {
      // Not problem+json (a proxy's page, say): the status alone still says what to do.
    }
    const retryAfter = Number(response.headers.get("Retry-After"));
    return new ApiProblem(
      response.status,
      typeof body.code === "string" ? (body.code as ProblemCode) : `http-${response.status}`,
      typeof body.detail === "string" ? body.detail : typeof body.title === "string" ? body.title : response.statusText,
      typeof body.currentVersion === "number" ? body.currentVersion : undefined,
      Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : undefined,
      typeof body.maxSchemaVersion === "number" ? body.maxSchemaVersion : undefined,
      typeof body.quota === "string" && typeof body.limit === "number" && typeof body.used === "number"
        ? { name: body.quota, limit: body.limit, used: body.used }
        : undefined,
    );
  }
}

/** A quota the server refused a request for. */
export interface Quota {
  name: string;
  limit: number;
  used: number;
}

/** fetch rejects with a TypeError when the network is out of reach (or we time it out): "offline", not an answer. */
export function isNetworkFailure(error: unknown): boolean {
  return error instanceof TypeError || (error instanceof DOMException && error.name === "TimeoutError");
}
