import type { LoroDoc } from "loro-crdt";
import { SyncApi } from "../api/client.js";
import { backoffDelay } from "../backoff.js";
import { loadDocument, mergeChanges } from "../changes.js";
import { readFrames } from "../frames.js";
import type { Broadcast } from "../messages.js";
import { ApiProblem, isNetworkFailure } from "../problem.js";
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
    try {
      if (workspace.state !== "syncing") {
        await this.store.setState(workspaceId, "syncing", { detail: workspace.detail });
      }
      workspace = await this.claimIfNew(workspace);
      if (!workspace.token) {
        return;
      }
      if (workspace.scope === "read_write") {
        if (!(await this.push(workspace))) {
          return;
        }
      }
      const serverVersion = await this.pull(workspace);
      if (serverVersion > this.options.appVersion) {
        await this.store.setState(workspaceId, "update-required", {
          serverVersion,
          detail: `This workspace uses schema version ${serverVersion}; this app knows ${this.options.appVersion}. Update the app to keep syncing.`,
        });
        return;
      }
      const pendingLeft = await this.store.pending.where("workspaceId").equals(workspaceId).count();
      await this.store.setState(workspaceId, pendingLeft > 0 ? "syncing" : "synced", { serverVersion, lastSyncedAt: Date.now() });
      this.failures.delete(workspaceId);
      this.listen(workspace);
    } catch (error) {
      await this.fail(workspaceId, error);
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
    const fresh = pending.filter((p) => !p.attempted);
    if (first.attempted || fresh.length < 2) {
      await this.store.pending.update(first.id!, { attempted: true });
      return first;
    }
    const merged = mergeChanges(committed, fresh.map((p) => p.bytes));
    if (!merged.bytes) {
      await this.store.pending.update(first.id!, { attempted: true });
      return first;
    }
    const batch: PendingChange = {
      workspaceId,
      bytes: merged.bytes,
      idempotencyKey: crypto.randomUUID(),
      version: Math.max(...fresh.map((p) => p.version)),
      attempted: true,
    };
    await this.store.transaction("rw", this.store.pending, async () => {
      await this.store.pending.bulkDelete(fresh.map((p) => p.id!));
      batch.id = await this.store.pending.add(batch);
    });
    return batch;
  }

  private async acknowledge(workspaceId: string, change: PendingChange, committed: LoroDoc): Promise<void> {
    committed.import(change.bytes);
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
    committed.importBatch(frames.map((f) => f.bytes));
    const seq = Math.max(after, ...frames.map((f) => f.seq));
    const changesSinceSnapshot = (frames.some((f) => f.kind === "snapshot") ? 0 : record?.changesSinceSnapshot ?? 0)
      + frames.filter((f) => f.kind === "change").length;
    await this.store.committed.put({ workspaceId, snapshot: committed.export({ mode: "snapshot" }), seq, changesSinceSnapshot });
    this.options.broadcast({ type: "updates", workspaceId, updates: frames.map((f) => f.bytes) });
    if (workspace.scope === "read_write" && changesSinceSnapshot >= (this.options.snapshotEvery ?? 200)) {
      await this.compact(workspace, committed, seq);
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
    if (this.stopped || !token || current?.token === token) {
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
    let attempt = 0;
    while (!signal.aborted && !this.stopped) {
      try {
        const seq = (await this.store.committed.get(workspaceId))?.seq ?? 0;
        const body = await this.api.events(token, workspaceId, seq, signal);
        attempt = 0;
        for await (const event of readServerEvents(body)) {
          if (event.event === "revoked") {
            await this.accessLost(workspaceId, "The owner revoked this device's access. Your edits stay on this device.");
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
          await this.accessLost(workspaceId, error.message);
          return;
        }
      }
      if (signal.aborted) return;
      // The stream ended or failed: pull anything missed meanwhile, then listen again after a pause.
      await new Promise((resolve) => setTimeout(resolve, backoffDelay(attempt++)));
      if (!signal.aborted) this.syncNow(workspaceId);
      return;
    }
  }

  private async accessLost(workspaceId: string, detail: string): Promise<void> {
    this.streams.get(workspaceId)?.controller.abort();
    this.streams.delete(workspaceId);
    clearTimeout(this.timers.get(workspaceId));
    await this.store.setState(workspaceId, "access-lost", { detail });
  }

  private async fail(workspaceId: string, error: unknown): Promise<void> {
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
          : `This device may not do that here (${error.message}).`);
        return;
      case 413:
        await this.store.setState(workspaceId, "error", {
          detail: `A change is larger than the server accepts (${error.message}). It stays on this device.`,
        });
        return;
      case 409:
        if (error.code === "workspace-exists") {
          await this.store.setState(workspaceId, "error", { detail: "Another owner already claimed this workspace id." });
          return;
        }
        break;
      case 422:
        await this.store.setState(workspaceId, "error", { detail: `The server refused a change as corrupt: ${error.message}` });
        return;
    }
    // Rate limits, conflicts to retry, a service restarting: try again, honouring Retry-After.
    await this.store.setState(workspaceId, "syncing", { detail: `Retrying: ${error.message}` });
    retry(error.retryAfterSeconds ? error.retryAfterSeconds * 1000 : backoffDelay(attempt));
  }
}
