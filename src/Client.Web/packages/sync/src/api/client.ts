import { ApiProblem } from "../problem.js";
import type {
  AccessGrant, ClaimWorkspaceRequest, ClaimedWorkspace, GrantRequest, JoinRequest, JoinedWorkspace, PushedChange, TokenSummary,
} from "./schemas.js";

const requestTimeoutMs = 30_000;

/** The head and schema version the server reports with every pull. */
export interface PullResult {
  head: number;
  schemaVersion: number;
  /** The framed body (docs/protocol.md); empty when there was nothing new. */
  body: Uint8Array;
}

/**
 * The public API as the browser uses it. Relative to `baseUrl` (the gateway's origin; "" for the page's own), so the
 * same code runs in the page and in the worker. Every non-2xx answer becomes an ApiProblem.
 */
export class SyncApi {
  constructor(private readonly baseUrl: string) {}

  /** Claims in `appId`, or in the deployment's default app when it is omitted. */
  claim(workspaceId: string, clientId: string, idempotencyKey: string, appId?: string): Promise<ClaimedWorkspace> {
    const body: ClaimWorkspaceRequest = appId === undefined ? { workspaceId, clientId } : { workspaceId, clientId, appId };
    return this.json("POST", "/api/workspaces", { body, headers: { "Idempotency-Key": idempotencyKey } });
  }

  grant(token: string, workspaceId: string, request: GrantRequest): Promise<AccessGrant> {
    return this.json("POST", `/api/workspaces/${workspaceId}/tokens`, { token, body: request });
  }

  join(workspaceId: string, clientId: string, inviteCode: string): Promise<JoinedWorkspace> {
    return this.json("POST", `/api/workspaces/${workspaceId}/join`, { body: { clientId, inviteCode } satisfies JoinRequest });
  }

  tokens(token: string, workspaceId: string): Promise<TokenSummary[]> {
    return this.json("GET", `/api/workspaces/${workspaceId}/tokens`, { token });
  }

  async revoke(token: string, workspaceId: string, clientId: string): Promise<void> {
    await this.send("DELETE", `/api/workspaces/${workspaceId}/tokens/${clientId}`, { token });
  }

  async push(token: string, workspaceId: string, bytes: Uint8Array, idempotencyKey: string, schemaVersion: number): Promise<number> {
    const response = await this.send("POST", `/api/workspaces/${workspaceId}/changes`, {
      token,
      raw: bytes,
      headers: { "Idempotency-Key": idempotencyKey, "Sync-Schema-Version": String(schemaVersion) },
    });
    return ((await response.json()) as PushedChange).seq;
  }

  async pull(token: string, workspaceId: string, after: number): Promise<PullResult> {
    const response = await this.send("GET", `/api/workspaces/${workspaceId}/changes?after=${after}`, { token });
    return {
      head: Number(response.headers.get("Sync-Head") ?? after),
      schemaVersion: Number(response.headers.get("Sync-Schema-Version") ?? 0),
      body: response.status === 204 ? new Uint8Array() : new Uint8Array(await response.arrayBuffer()),
    };
  }

  /** A snapshot written by this app at `schemaVersion` (refused, like a push, when the server has not released it). */
  async uploadSnapshot(token: string, workspaceId: string, bytes: Uint8Array, covers: number, schemaVersion: number): Promise<void> {
    await this.send("POST", `/api/workspaces/${workspaceId}/snapshots`,
      { token, raw: bytes, headers: { "Sync-Covers": String(covers), "Sync-Schema-Version": String(schemaVersion) } });
  }

  /** Opens the live event stream; the caller reads it with readServerEvents and aborts it with `signal`. */
  async events(token: string, workspaceId: string, lastEventId: number, signal: AbortSignal): Promise<ReadableStream<Uint8Array>> {
    const response = await this.send("GET", `/api/workspaces/${workspaceId}/events`, {
      token,
      signal,
      headers: { Accept: "text/event-stream", "Last-Event-ID": String(lastEventId) },
    });
    if (!response.body) {
      throw new ApiProblem(response.status, "invalid-response", "The event stream has no body.");
    }
    return response.body;
  }

  private async json<T>(method: string, path: string, options: RequestOptions): Promise<T> {
    return (await (await this.send(method, path, options)).json()) as T;
  }

  private async send(method: string, path: string, options: RequestOptions): Promise<Response> {
    const headers: Record<string, string> = { ...options.headers };
    if (options.token) headers.Authorization = `Bearer ${options.token}`;
    let body: BodyInit | undefined;
    if (options.raw) {
      headers["Content-Type"] = "application/octet-stream";
      body = options.raw as Uint8Array<ArrayBuffer>;
    } else if (options.body !== undefined) {
      headers["Content-Type"] = "application/json";
      body = JSON.stringify(options.body);
    }
    // A request that hangs (a stalled connection) must not hold the sync loop: give up and retry later.
    const signal = options.signal ?? AbortSignal.timeout(requestTimeoutMs);
    const response = await fetch(`${this.baseUrl}${path}`, { method, headers, body, signal, cache: "no-store" });
    if (!response.ok) {
      throw await ApiProblem.from(response);
    }
    return response;
  }
}

interface RequestOptions {
  token?: string;
  body?: unknown;
  raw?: Uint8Array;
  headers?: Record<string, string>;
  signal?: AbortSignal;
}
