import { SyncApi } from "../api/client.js";
import type { Broadcast } from "../messages.js";
import { SyncStore, type WorkspaceRecord } from "../store.js";
import { failureOf, retryDelay, syncState, type FailureDecision, type PushDecision, type Retry } from "../sync-state.js";
import type { Frame } from "../frames.js";
import { LiveStreams } from "./live.js";
import { commitFrames, pull } from "./pull.js";
import { SocketLive } from "./socket-live.js";
import { pushPending } from "./push.js";

export interface SyncWorkerOptions {
  appName: string;
  appVersion: number;
  /** The server's app new workspaces are claimed in (docs/design.md, "Apps on one backend"); the deployment's default when omitted. */
  appId?: string;
  baseUrl: string;
  debounceMs: number;
  broadcast: (message: Broadcast) => void;
  /** Pulled changes after which the worker uploads a snapshot so that new devices download one blob. */
  snapshotEvery?: number;
  /**
   * How live changes arrive: "socket" (the default), the realtime channel, falling back to "http" (an event stream
   * per open workspace, then a pull) where a WebSocket cannot be opened; "http" always.
   */
  transport?: "socket" | "http";
  /** Told which transport carries live changes, once it is known. */
  transportChosen?: (transport: "socket" | "http") => void;
}

/**
 * Syncs every workspace of one app: claim on first sync, push pending changes (debounced), pull on start, on live
 * `head` events and on reconnect, with backoff while the server is out of reach. What each answer means for the
 * workspace is decided by `syncState`; this class only schedules rounds and carries the decisions out.
 */
export class SyncWorker {
  private readonly store: SyncStore;
  private readonly api: SyncApi;
  private readonly live: Pick<LiveStreams, "watch" | "listen" | "end" | "stop">;
  /** The realtime channel, unless the worker was told to use HTTP (then `live` is the event streams). */
  private readonly socket: SocketLive | undefined;
  private readonly timers = new Map<string, ReturnType<typeof setTimeout>>();
  private readonly running = new Map<string, Promise<void>>();
  private readonly rerun = new Set<string>();
  private readonly failures = new Map<string, number>();
  private stopped = false;

  constructor(private readonly options: SyncWorkerOptions) {
    this.store = new SyncStore(options.appName);
    this.api = new SyncApi(options.baseUrl);
    const callbacks = {
      sync: (workspaceId: string) => this.syncNow(workspaceId),
      accessLost: (workspaceId: string, detail: string, token: string) => this.accessLost(workspaceId, detail, token),
    };
    const streams = new LiveStreams(this.store, this.api, options.appVersion, callbacks);
    if (options.transport === "http" || typeof WebSocket === "undefined") {
      this.live = streams;
      options.transportChosen?.("http");
    } else {
      this.live = this.socket = new SocketLive(this.store, options.baseUrl, options.appVersion, {
        ...callbacks,
        apply: (workspaceId, frames) => this.applyLive(workspaceId, frames),
        transport: (transport) => options.transportChosen?.(transport),
      }, streams);
    }
  }

  /**
   * Commits changes the socket brought, as a pull would, under the same lock as a sync round; false when they do not
   * follow this device's cursor (then a pull fetches what is missing).
   */
  private async applyLive(workspaceId: string, frames: Frame[]): Promise<boolean> {
    let followed = true;
    await this.exclusively(workspaceId, async () => {
      const workspace = await this.store.workspaces.get(workspaceId);
      if (!workspace || workspace.state === "access-lost" || this.stopped) return;
      followed = (await commitFrames(this.store, workspaceId, frames, this.options.broadcast)).kind !== "gap";
    });
    return followed;
  }

  async start(): Promise<void> {
    for (const workspace of await this.store.workspaces.toArray()) {
      this.syncNow(workspace.workspaceId);
    }
  }

  stop(): void {
    this.stopped = true;
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.live.stop();
    this.store.close();
  }

  /** A local edit: sync after the debounce, so a burst of edits becomes one push. */
  changed(workspaceId: string): void {
    this.schedule(workspaceId, this.options.debounceMs);
  }

  /** A page opened (or closed) a workspace: listen for its live events while any page has it open. */
  watch(workspaceId: string, on: boolean): void {
    if (this.live.watch(workspaceId, on)) {
      this.syncNow(workspaceId);
    }
  }

  /** Sync at once, waking a workspace that stopped for lost access (a new token) or for an update. */
  async resume(workspaceId?: string): Promise<void> {
    const ids = workspaceId ? [workspaceId] : (await this.store.workspaces.toCollection().primaryKeys());
    for (const id of ids) {
      this.failures.delete(id);
      this.syncNow(id);
    }
  }

  /** The browser says the network came back (or went): retry everything now rather than after the backoff. */
  async network(online: boolean): Promise<void> {
    this.socket?.network(online);
    if (online) {
      await this.resume();
    }
  }

  private schedule(workspaceId: string, delayMs: number): void {
    if (this.stopped) return;
    clearTimeout(this.timers.get(workspaceId));
    this.timers.set(workspaceId, setTimeout(() => {
      this.timers.delete(workspaceId);
      this.syncNow(workspaceId);
    }, delayMs));
  }

  private syncNow(workspaceId: string): void {
    clearTimeout(this.timers.get(workspaceId));
    this.timers.delete(workspaceId);
    if (this.running.has(workspaceId)) {
      this.rerun.add(workspaceId);
      return;
    }
    const run = (async () => {
      do {
        this.rerun.delete(workspaceId);
        await this.exclusively(workspaceId, () => this.syncOnce(workspaceId));
      } while (this.rerun.has(workspaceId) && !this.stopped);
    })().finally(() => this.running.delete(workspaceId));
    this.running.set(workspaceId, run);
  }

  /** One page's worker at a time syncs a workspace, however many tabs of the app are open. */
  private async exclusively(workspaceId: string, work: () => Promise<void>): Promise<void> {
    const locks = (globalThis.navigator as Navigator | undefined)?.locks;
    if (locks) {
      await locks.request(`${this.options.appName}:${workspaceId}`, () => work());
    } else {
      await work();
    }
  }

  /** One round: claim if new, push, pull, listen. */
  private async syncOnce(workspaceId: string): Promise<void> {
    let workspace = await this.store.workspaces.get(workspaceId);
    if (!workspace || this.stopped || workspace.state === "access-lost") {
      return;
    }
    const { appVersion } = this.options;
    let request: "claim" | "pull" = "claim";
    try {
      if (workspace.state !== "syncing") {
        await this.store.setState(workspaceId, "syncing", { detail: workspace.detail });
      }
      workspace = await this.claimIfNew(workspace);
      if (!workspace.token) {
        return;
      }
      // A change refused for itself (too large, corrupt, of an unreleased schema version) stays on the device, but
      // pulling what others wrote goes on; so does a push refused as outdated, whose state is shown at once.
      let refused: Extract<PushDecision, { kind: "refused" }> | undefined;
      let waiting = false;
      if (workspace.scope === "read_write") {
        let pushed: PushDecision | { kind: "pushed" } = { kind: "pushed" };
        try {
          await pushPending(this.store, (...args) => this.socket?.push(...args) ?? this.api.push(...args), workspace);
        } catch (error) {
          pushed = syncState({ request: "push", ...failureOf(error) }, appVersion);
        }
        switch (pushed.kind) {
          case "pushed":
            break;
          case "refused":
            refused = pushed;
            break;
          case "update-required":
          case "migrate":
            await this.store.setState(workspaceId, pushed.state, { serverVersion: pushed.serverVersion, detail: pushed.detail });
            if (pushed.kind === "migrate") this.options.broadcast({ type: "migrate", workspaceId, currentVersion: pushed.serverVersion });
            waiting = true;
            break;
          default:
            await this.fail(workspaceId, pushed, workspace.token);
            return;
        }
      }
      request = "pull";
      const serverVersion = await pull(this.store, this.api, workspace, {
        broadcast: this.options.broadcast,
        snapshotEvery: this.options.snapshotEvery ?? 200,
      });
      this.live.listen(workspace);
      if (waiting) {
        // The update, or the migration under way, stands.
        return;
      }
      const pendingLeft = await this.store.pending.where("workspaceId").equals(workspaceId).count();
      const pulled = syncState({ request, kind: "pulled", serverVersion, pendingLeft }, appVersion);
      if (pulled.kind === "update-required") {
        await this.store.setState(workspaceId, pulled.state, { serverVersion, detail: pulled.detail });
        return;
      }
      if (refused) {
        await this.store.setState(workspaceId, refused.state, { serverVersion, detail: refused.detail });
        if (refused.retry) this.retry(workspaceId, refused.retry);
        return;
      }
      this.failures.delete(workspaceId);
      await this.store.setState(workspaceId, pulled.state, { serverVersion, lastSyncedAt: Date.now() });
      // Everything pending was pushed above, so what waits now came meanwhile: an edit, or what a pull gave back to
      // push (the server had lost it: pull.ts, rejoin). Another round pushes it.
      if (pendingLeft > 0 && workspace.scope === "read_write") this.rerun.add(workspaceId);
    } catch (error) {
      await this.fail(workspaceId, syncState({ request, ...failureOf(error) }, appVersion), workspace.token);
    }
  }

  private async claimIfNew(workspace: WorkspaceRecord): Promise<WorkspaceRecord> {
    if (workspace.token || workspace.role !== "owner") {
      return workspace;
    }
    const clientId = await this.store.clientId();
    const claimed = await this.api.claim(workspace.workspaceId, clientId, workspace.claimKey, this.options.appId);
    const changes = { token: claimed.token, scope: "read_write" as const, expiresAt: null };
    await this.store.workspaces.update(workspace.workspaceId, changes);
    return { ...workspace, ...changes };
  }

  private async fail(workspaceId: string, decision: FailureDecision, token: string | undefined): Promise<void> {
    switch (decision.kind) {
      case "access-lost":
        this.countFailure(workspaceId);
        await this.accessLost(workspaceId, decision.detail, token);
        return;
      case "retry":
        await this.store.setState(workspaceId, decision.state, { detail: decision.detail });
        this.retry(workspaceId, decision.retry);
        return;
      case "stopped":
        this.countFailure(workspaceId);
        await this.store.setState(workspaceId, decision.state, { detail: decision.detail });
        return;
    }
  }

  private countFailure(workspaceId: string): number {
    const attempt = this.failures.get(workspaceId) ?? 0;
    this.failures.set(workspaceId, attempt + 1);
    return attempt;
  }

  private retry(workspaceId: string, retry: Retry): void {
    this.schedule(workspaceId, retryDelay(retry, this.countFailure(workspaceId)));
  }

  /**
   * Stops syncing a workspace whose access ended, unless its token changed meanwhile (the device joined again while
   * the old token's request was in flight): then it syncs with the new one.
   */
  private async accessLost(workspaceId: string, detail: string, token: string | undefined): Promise<void> {
    const stopped = await this.store.transaction("rw", this.store.workspaces, async () => {
      const workspace = await this.store.workspaces.get(workspaceId);
      if (!workspace || (token !== undefined && workspace.token !== token)) return false;
      await this.store.workspaces.update(workspaceId, { state: "access-lost", detail });
      return true;
    });
    if (!stopped) {
      this.syncNow(workspaceId);
      return;
    }
    this.live.end(workspaceId, token);
    clearTimeout(this.timers.get(workspaceId));
  }
}
