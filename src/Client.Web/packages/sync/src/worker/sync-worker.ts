import type { LoroDoc } from "loro-crdt";
import { SyncApi } from "../api/client.js";
import { backoffDelay } from "../backoff.js";
import { loadDocument, mergeChanges } from "../changes.js";
import { readFrames } from "../frames.js";
import type { Broadcast } from "../messages.js";
import { ApiProblem, isNetworkFailure } from "../problem.js";
import { refusalOf, refusalRetryDelay, type Refusal } from "../refusal.js";
import { readServerEvents } from "../sse.js";
import { SyncStore, type PendingChange, type WorkspaceRecord } from "../store.js";

export interface SyncWorkerOptions {
  appName: string;
  appVersion: number;
  baseUrl: string;
  debounceMs: number;
  broadcast: (message: Broadcast) => void;
  /** Pulled changes after which the worker uploads a snapshot so that new devices download one blob. */
  snapshotEvery?: number;
}

/**
 * Syncs every workspace of one app: claim on first sync, push pending changes (debounced), pull on start, on live
 * `head` events and on reconnect, with exponential backoff while the server is out of reach. Pending changes leave
 * the store only in the transaction that records the server's acknowledgement.
 */
export class SyncWorker {
  private readonly store: SyncStore;
  private readonly api: SyncApi;
  private readonly timers = new Map<string, ReturnType<typeof setTimeout>>();
  private readonly running = new Map<string, Promise<void>>();
  private readonly rerun = new Set<string>();
  private readonly failures = new Map<string, number>();
  private readonly streams = new Map<string, { token: string; controller: AbortController }>();
  private readonly streamFailures = new Map<string, number>();
  /** Workspaces a page has open, by how many: only those hold a live stream (browsers allow 6 HTTP/1.1 connections per host). */
  private readonly watched = new Map<string, number>();
  private stopped = false;

  constructor(private readonly options: SyncWorkerOptions) {
    this.store = new SyncStore(options.appName);
    this.api = new SyncApi(options.baseUrl);
  }

  async start(): Promise<void> {
    for (const workspace of await this.store.workspaces.toArray()) {
      this.syncNow(workspace.workspaceId);
    }
  }

  stop(): void {
    this.stopped = true;
    for (const timer of this.timers.values()) clearTimeout(timer);
    for (const stream of this.streams.values()) stream.controller.abort();
    this.store.close();
  }

  /** A local edit: sync after the debounce, so a burst of edits becomes one push. */
  changed(workspaceId: string): void {
    this.schedule(workspaceId, this.options.debounceMs);
  }

  /** A page opened (or closed) a workspace: listen for its live events while any page has it open. */
  watch(workspaceId: string, on: boolean): void {
    const count = (this.watched.get(workspaceId) ?? 0) + (on ? 1 : -1);
    if (count > 0) {
      this.watched.set(workspaceId, count);
      this.syncNow(workspaceId);
      return;
    }
    this.watched.delete(workspaceId);
    this.streams.get(workspaceId)?.controller.abort();
    this.streams.delete(workspaceId);
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

  private async syncOnce(workspaceId: string): Promise<void> {
    let workspace = await this.store.workspaces.get(workspaceId);
    if (!workspace || this.stopped || workspace.state === "access-lost") {
      return;
    }
    let token: string | undefined;
    try {
      if (workspace.state !== "syncing") {
        await this.store.setState(workspaceId, "syncing", { detail: workspace.detail });
      }
      workspace = await this.claimIfNew(workspace);
      token = workspace.token;
      if (!token) {
        return;
      }
      // A refused change (too large, corrupt, of an unreleased schema version) stays on the device, but pulling what
      // others wrote goes on.
      let refused: Refusal | undefined;
      let waiting = false;
      if (workspace.scope === "read_write") {
        try {
          waiting = !(await this.push(workspace));
        } catch (error) {
          refused = error instanceof ApiProblem ? refusalOf(error, this.options.appVersion) : undefined;
          if (!refused) throw error;
        }
      }
      const serverVersion = await this.pull(workspace);
      this.listen(workspace);
      if (waiting) {
        // The push was refused as outdated: that state (update, or a migration under way) stands.
        return;
      }
      if (serverVersion > this.options.appVersion) {
        await this.store.setState(workspaceId, "update-required", {
          serverVersion,
          detail: `This workspace uses schema version ${serverVersion}; this app knows ${this.options.appVersion}. Update the app to keep syncing.`,
        });
        return;
      }
      if (refused) {
        await this.store.setState(workspaceId, refused.state, { serverVersion, detail: refused.detail });
        if (refused.retry) {
          const attempt = this.failures.get(workspaceId) ?? 0;
          this.failures.set(workspaceId, attempt + 1);
          this.schedule(workspaceId, refusalRetryDelay(attempt));
        }
        return;
      }
      this.failures.delete(workspaceId);
      const pendingLeft = await this.store.pending.where("workspaceId").equals(workspaceId).count();
      await this.store.setState(workspaceId, pendingLeft > 0 ? "syncing" : "synced", { serverVersion, lastSyncedAt: Date.now() });
    } catch (error) {
      await this.fail(workspaceId, error, token);
    }
  }

  private async claimIfNew(workspace: WorkspaceRecord): Promise<WorkspaceRecord> {
    if (workspace.token || workspace.role !== "owner") {
      return workspace;
    }
    const clientId = await this.store.clientId();
    const claimed = await this.api.claim(workspace.workspaceId, clientId, workspace.claimKey);
    const changes = { token: claimed.token, scope: "read_write" as const, expiresAt: null };
    await this.store.workspaces.update(workspace.workspaceId, changes);
    return { ...workspace, ...changes };
  }

  /** Pushes every pending change; false when the workspace must wait (a migration first). */
  private async push(workspace: WorkspaceRecord): Promise<boolean> {
    const { workspaceId, token } = workspace;
    for (;;) {
      const pending = await this.store.pendingOf(workspaceId);
      if (pending.length === 0) {
        return true;
      }
      const committedRecord = await this.store.committed.get(workspaceId);
      const committed = loadDocument(committedRecord?.snapshot);
      const batch = await this.nextBatch(workspaceId, committed, pending);
      try {
        await this.api.push(token!, workspaceId, batch.bytes, batch.idempotencyKey, batch.version);
      } catch (error) {
        if (error instanceof ApiProblem && error.code === "outdated-version" && error.currentVersion !== undefined) {
          return this.outdated(workspaceId, error.currentVersion);
        }
        throw error;
      }
      await this.acknowledge(workspaceId, batch, committed);
    }
  }

  /**
   * The change to push next. Changes never sent are merged into one (with a new idempotency key); a change that was
   * sent once keeps its bytes and key, so a retry after a lost answer is recognised by the server.
   */
  private async nextBatch(workspaceId: string, committed: LoroDoc, pending: PendingChange[]): Promise<PendingChange> {
    const first = pending[0]!;
    // Only a leading run of never-sent changes of one schema version, within a size budget, is merged: order is kept,
    // an old app's change is never labelled with a newer version, and a merge never grows past what the server takes.
    const fresh: PendingChange[] = [];
    let size = 0;
    for (const change of pending) {
      if (change.attempted || change.version !== first.version) break;
      if (fresh.length > 0 && size + change.bytes.byteLength > mergeBudgetBytes) break;
      fresh.push(change);
      size += change.bytes.byteLength;
    }
    const merged = fresh.length >= 2 ? mergeChanges(committed, fresh.map((p) => p.bytes)) : undefined;
    if (!merged) {
      await this.store.pending.update(first.id!, { attempted: true });
      return first;
    }
    // The merge takes the first change's place (its id), so edits written meanwhile stay behind it.
    const batch: PendingChange = {
      id: first.id!,
      workspaceId,
      bytes: merged,
      idempotencyKey: crypto.randomUUID(),
      version: first.version,
      attempted: true,
    };
    await this.store.transaction("rw", this.store.pending, async () => {
      await this.store.pending.bulkDelete(fresh.slice(1).map((p) => p.id!));
      await this.store.pending.put(batch);
    });
    return batch;
  }

  private async acknowledge(workspaceId: string, change: PendingChange, committed: LoroDoc): Promise<void> {
    importComplete(committed, [change.bytes]);
    const snapshot = committed.export({ mode: "snapshot" });
    await this.store.transaction("rw", this.store.pending, this.store.committed, async () => {
      await this.store.pending.delete(change.id!);
      const record = await this.store.committed.get(workspaceId);
      await this.store.committed.put({
        workspaceId,
        snapshot,
        seq: record?.seq ?? 0,
        changesSinceSnapshot: record?.changesSinceSnapshot ?? 0,
      });
    });
  }

  private async outdated(workspaceId: string, currentVersion: number): Promise<boolean> {
    if (currentVersion > this.options.appVersion) {
      await this.store.setState(workspaceId, "update-required", {
        serverVersion: currentVersion,
        detail: `The server refused this device's changes: the workspace is at schema version ${currentVersion}, this app writes ${this.options.appVersion}. Update the app; your edits are kept on this device.`,
      });
    } else {
      // This app knows the newer schema but the document was not migrated yet: a page runs the migrations
      // (the worker has no app code) and tells the worker to sync again.
      await this.store.setState(workspaceId, "syncing", { serverVersion: currentVersion, detail: "Migrating the document to the current schema." });
      this.options.broadcast({ type: "migrate", workspaceId, currentVersion });
    }
    return false;
  }

  /** Pulls what this device lacks into the committed state; returns the workspace's schema version. */
  private async pull(workspace: WorkspaceRecord): Promise<number> {
    const { workspaceId } = workspace;
    const record = await this.store.committed.get(workspaceId);
    const after = record?.seq ?? 0;
    const result = await this.api.pull(workspace.token!, workspaceId, after);
    const frames = readFrames(result.body);
    if (frames.length === 0) {
      return result.schemaVersion;
    }
    const committed = loadDocument(record?.snapshot);
    importComplete(committed, frames.map((f) => f.bytes));
    const seq = frames.reduce((max, f) => Math.max(max, f.seq), after);
    const changesSinceSnapshot = (frames.some((f) => f.kind === "snapshot") ? 0 : record?.changesSinceSnapshot ?? 0)
      + frames.filter((f) => f.kind === "change").length;
    await this.store.committed.put({ workspaceId, snapshot: committed.export({ mode: "snapshot" }), seq, changesSinceSnapshot });
    this.options.broadcast({ type: "updates", workspaceId, updates: frames.map((f) => f.bytes) });
    if (workspace.scope === "read_write" && changesSinceSnapshot >= (this.options.snapshotEvery ?? 200)) {
      try {
        await this.compact(workspace, committed, seq);
      } catch (error) {
        // Compaction only saves later devices time; a refused snapshot must not stop the sync.
        console.warn("SyncEngine: snapshot upload failed", error);
      }
    }
    return result.schemaVersion;
  }

  /** Uploads a snapshot covering what this device has pulled, so later devices start from one blob. */
  private async compact(workspace: WorkspaceRecord, committed: LoroDoc, seq: number): Promise<void> {
    await this.api.uploadSnapshot(workspace.token!, workspace.workspaceId, committed.export({ mode: "snapshot" }), seq);
    await this.store.committed.update(workspace.workspaceId, { changesSinceSnapshot: 0 });
  }

  /** Keeps one live event stream per workspace; a `head` beyond what was pulled triggers a pull. */
  private listen(workspace: WorkspaceRecord): void {
    const { workspaceId, token } = workspace;
    const current = this.streams.get(workspaceId);
    if (this.stopped || !token || current?.token === token || !this.watched.has(workspaceId)) {
      return;
    }
    current?.controller.abort();
    const controller = new AbortController();
    this.streams.set(workspaceId, { token, controller });
    void this.readStream(workspaceId, token, controller.signal).finally(() => {
      if (this.streams.get(workspaceId)?.controller === controller) {
        this.streams.delete(workspaceId);
      }
    });
  }

  private async readStream(workspaceId: string, token: string, signal: AbortSignal): Promise<void> {
    while (!signal.aborted && !this.stopped) {
      let retryAfterSeconds: number | undefined;
      try {
        const seq = (await this.store.committed.get(workspaceId))?.seq ?? 0;
        const body = await this.api.events(token, workspaceId, seq, signal);
        for await (const event of readServerEvents(body)) {
          this.streamFailures.delete(workspaceId);
          if (event.event === "revoked") {
            await this.accessLost(workspaceId, "This device's access ended (revoked by the owner, or expired). Your edits stay on this device.", token);
            return;
          }
          if (event.event === "head") {
            const head = (JSON.parse(event.data) as { seq: number }).seq;
            if (head > ((await this.store.committed.get(workspaceId))?.seq ?? 0)) {
              this.syncNow(workspaceId);
            }
          }
        }
      } catch (error) {
        if (signal.aborted) return;
        if (error instanceof ApiProblem && (error.status === 401 || error.status === 403)) {
          await this.accessLost(workspaceId, `This device's access ended (${error.message}). Your edits stay on this device.`, token);
          return;
        }
        retryAfterSeconds = error instanceof ApiProblem ? error.retryAfterSeconds : undefined;
      }
      // The stream ended or failed: listen again after a growing pause, and pull whatever was missed meanwhile.
      const attempt = this.streamFailures.get(workspaceId) ?? 0;
      this.streamFailures.set(workspaceId, attempt + 1);
      await pause(retryAfterSeconds ? retryAfterSeconds * 1000 : backoffDelay(attempt), signal);
      if (!signal.aborted) this.syncNow(workspaceId);
    }
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
    const stream = this.streams.get(workspaceId);
    if (stream && (token === undefined || stream.token === token)) {
      stream.controller.abort();
      this.streams.delete(workspaceId);
    }
    clearTimeout(this.timers.get(workspaceId));
  }

  private async fail(workspaceId: string, error: unknown, token: string | undefined): Promise<void> {
    const attempt = this.failures.get(workspaceId) ?? 0;
    this.failures.set(workspaceId, attempt + 1);
    const retry = (delayMs: number) => this.schedule(workspaceId, delayMs);
    if (isNetworkFailure(error)) {
      await this.store.setState(workspaceId, "offline", { detail: "The server is out of reach; retrying." });
      retry(backoffDelay(attempt));
      return;
    }
    if (!(error instanceof ApiProblem)) {
      await this.store.setState(workspaceId, "error", { detail: error instanceof Error ? error.message : String(error) });
      retry(backoffDelay(attempt));
      return;
    }
    switch (error.status) {
      case 401:
      case 403:
        await this.accessLost(workspaceId, error.status === 401
          ? `This device's access ended (${error.message}). Your edits stay on this device until the owner invites it again.`
          : `This device may not do that here (${error.message}).`, token);
        return;
      case 409:
        if (error.code === "workspace-exists") {
          await this.store.setState(workspaceId, "error", { detail: "Another owner already claimed this workspace id." });
          return;
        }
        break;
    }
    // Rate limits, conflicts to retry, a service restarting: try again, honouring Retry-After.
    await this.store.setState(workspaceId, "syncing", { detail: `Retrying: ${error.message}` });
    retry(error.retryAfterSeconds ? error.retryAfterSeconds * 1000 : backoffDelay(attempt));
  }
}

/** How many bytes of never-sent changes one merged push may carry. */
const mergeBudgetBytes = 1024 * 1024;

/**
 * Imports into the committed state, refusing bytes whose dependencies are missing: Loro would keep them aside and a
 * snapshot would silently drop them, so the seq must not move past them.
 */
function importComplete(doc: LoroDoc, updates: Uint8Array[]): void {
  const status = doc.importBatch(updates);
  if (status.pending && status.pending.size > 0) {
    throw new Error("Received changes whose history this device lacks; keeping the previous state and retrying.");
  }
}

function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => { clearTimeout(timer); resolve(); }, { once: true });
  });
}
