import type { SyncApi } from "../api/client.js";
import { readServerEvents } from "../sse.js";
import type { SyncStore, WorkspaceRecord } from "../store.js";
import { failureOf, retryDelay, syncState, type LiveAnswer } from "../sync-state.js";

export interface LiveCallbacks {
  /** The server has more than this device pulled, or a stream came back after a gap: sync now. */
  sync: (workspaceId: string) => void;
  /** The stream said the token no longer works. */
  accessLost: (workspaceId: string, detail: string, token: string) => Promise<void>;
}

/**
 * One live event stream per workspace a page has open (`fetch`-streamed SSE, since EventSource cannot send a token).
 * Only open ones: a browser gives an HTTP/1.1 origin six connections in all.
 */
export class LiveStreams {
  private readonly streams = new Map<string, { token: string; controller: AbortController }>();
  private readonly failures = new Map<string, number>();
  private readonly watched = new Map<string, number>();
  private stopped = false;

  constructor(
    private readonly store: SyncStore,
    private readonly api: SyncApi,
    private readonly appVersion: number,
    private readonly on: LiveCallbacks,
  ) {}

  /** A page opened (or closed) a workspace; true while any page has it open. */
  watch(workspaceId: string, on: boolean): boolean {
    const count = (this.watched.get(workspaceId) ?? 0) + (on ? 1 : -1);
    if (count > 0) {
      this.watched.set(workspaceId, count);
      return true;
    }
    this.watched.delete(workspaceId);
    this.streams.get(workspaceId)?.controller.abort();
    this.streams.delete(workspaceId);
    return false;
  }

  /** Listens to a watched workspace with its current token, unless a stream with that token already runs. */
  listen(workspace: WorkspaceRecord): void {
    const { workspaceId, token } = workspace;
    const current = this.streams.get(workspaceId);
    if (this.stopped || !token || current?.token === token || !this.watched.has(workspaceId)) {
      return;
    }
    current?.controller.abort();
    const controller = new AbortController();
    this.streams.set(workspaceId, { token, controller });
    void this.read(workspaceId, token, controller.signal).finally(() => {
      if (this.streams.get(workspaceId)?.controller === controller) {
        this.streams.delete(workspaceId);
      }
    });
  }

  /** Ends a workspace's stream, if it still uses `token` (a stream with a newer token goes on). */
  end(workspaceId: string, token: string | undefined): void {
    const stream = this.streams.get(workspaceId);
    if (stream && (token === undefined || stream.token === token)) {
      stream.controller.abort();
      this.streams.delete(workspaceId);
    }
  }

  stop(): void {
    this.stopped = true;
    for (const stream of this.streams.values()) stream.controller.abort();
  }

  private async read(workspaceId: string, token: string, signal: AbortSignal): Promise<void> {
    while (!signal.aborted && !this.stopped) {
      let answer: LiveAnswer = { request: "events", kind: "ended" };
      try {
        const seq = (await this.store.committed.get(workspaceId))?.seq ?? 0;
        const body = await this.api.events(token, workspaceId, seq, signal);
        for await (const event of readServerEvents(body)) {
          this.failures.delete(workspaceId);
          if (event.event === "revoked" || event.event === "deleted" || event.event === "app-suspended") {
            answer = { request: "events", kind: event.event };
            break;
          }
          if (event.event === "head") {
            const head = (JSON.parse(event.data) as { seq: number }).seq;
            if (head > ((await this.store.committed.get(workspaceId))?.seq ?? 0)) {
              this.on.sync(workspaceId);
            }
          }
        }
      } catch (error) {
        if (signal.aborted) return;
        answer = { request: "events", ...failureOf(error) };
      }
      const decision = syncState(answer, this.appVersion);
      if (decision.kind === "access-lost") {
        await this.on.accessLost(workspaceId, decision.detail, token);
        return;
      }
      if (decision.kind === "stopped") {
        // Deleted: a sync round's pull gets the same 410 and records the state; this stream is over for good.
        this.on.sync(workspaceId);
        return;
      }
      // Listen again after a growing pause, and pull whatever was missed meanwhile.
      const attempt = this.failures.get(workspaceId) ?? 0;
      this.failures.set(workspaceId, attempt + 1);
      await pause(retryDelay(decision.retry, attempt), signal);
      if (!signal.aborted) this.on.sync(workspaceId);
    }
  }
}

function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => { clearTimeout(timer); resolve(); }, { once: true });
  });
}
