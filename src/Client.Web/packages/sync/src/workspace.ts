import type { LoroDoc } from "loro-crdt";
import { loadDocument } from "./changes.js";
import { documentVersion, initialize, migrate, type AppSchema, type MigrationOutcome } from "./schema.js";
import type { SyncStore } from "./store.js";

/**
 * An open workspace: a Loro document rebuilt from the committed state plus this device's pending changes. Every local
 * commit is written to the pending store before the worker hears of it; the app edits `doc` and calls `doc.commit()`.
 */
export class WorkspaceHandle {
  private readonly listeners = new Set<() => void>();
  private readonly unsubscribeLocal: () => void;
  private readonly unsubscribeDoc: () => void;
  private writes: Promise<void> = Promise.resolve();

  private constructor(
    readonly workspaceId: string,
    readonly doc: LoroDoc,
    private readonly store: SyncStore,
    private readonly schema: AppSchema,
    private readonly onLocalChange: (workspaceId: string, bytes: Uint8Array) => void,
  ) {
    this.unsubscribeLocal = doc.subscribeLocalUpdates((bytes) => this.record(bytes));
    this.unsubscribeDoc = doc.subscribe(() => this.listeners.forEach((listener) => listener()));
  }

  static async open(
    store: SyncStore,
    schema: AppSchema,
    workspaceId: string,
    onLocalChange: (workspaceId: string, bytes: Uint8Array) => void,
    options: { create?: boolean } = {},
  ): Promise<WorkspaceHandle> {
    // One read transaction: an acknowledgement moving a change from pending to committed cannot fall in between.
    const [committed, pending] = await store.transaction("r", store.committed, store.pending, () =>
      Promise.all([store.committed.get(workspaceId), store.pendingOf(workspaceId)]));
    const doc = loadDocument(committed?.snapshot, pending.map((p) => p.bytes));
    const handle = new WorkspaceHandle(workspaceId, doc, store, schema, onLocalChange);
    if (options.create) {
      initialize(doc, schema);
    } else {
      handle.upgrade();
    }
    return handle;
  }

  /** The schema version of the document as this device sees it. */
  get version(): number | undefined {
    return documentVersion(this.doc);
  }

  /** Calls `listener` after every change of the document, local or pulled. */
  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Applies bytes the worker committed (or another page wrote); Loro ignores what the document already has. */
  applyRemote(updates: readonly Uint8Array[]): MigrationOutcome {
    this.doc.importBatch([...updates]);
    return this.upgrade();
  }

  /** Runs the app's migrations when the document is older than the app; returns what happened. */
  upgrade(): MigrationOutcome {
    return migrate(this.doc, this.schema);
  }

  /**
   * Brings changes kept from an older app (refused by the server as outdated) up to this app's version: the
   * migrations from the oldest such change's version run again over the document — they are idempotent, so they only
   * fix what that change left old-shaped — and then those changes travel with this app's version. False when this
   * app lacks a migration in that range.
   */
  async adoptPending(): Promise<boolean> {
    await this.flushed();
    const older = (await this.store.pendingOf(this.workspaceId)).filter((change) => change.version < this.schema.version);
    if (older.length === 0) {
      return true;
    }
    const from = Math.min(...older.map((change) => change.version));
    for (let version = from + 1; version <= this.schema.version; version++) {
      if (!this.schema.migrations?.[version]) return false;
    }
    for (let version = from + 1; version <= this.schema.version; version++) {
      this.schema.migrations![version]!(this.doc);
    }
    this.doc.commit({ origin: "syncengine:migrate-kept-changes" });
    await this.flushed();
    await this.store.pending.bulkUpdate(older.map((change) => ({ key: change.id!, changes: { version: this.schema.version } })));
    return true;
  }

  /** Resolves once every local change so far is in the pending store. */
  flushed(): Promise<void> {
    return this.writes;
  }

  close(): void {
    this.unsubscribeLocal();
    this.unsubscribeDoc();
    this.listeners.clear();
  }

  private record(bytes: Uint8Array): void {
    // A change is labelled with the version of the code that made it, whatever the document says: an old app
    // editing a newer document must be refused by the server.
    const version = this.schema.version;
    // Chained so pending changes keep their order; the worker hears of a change only once it is stored.
    this.writes = this.writes.then(async () => {
      await this.store.pending.add({ workspaceId: this.workspaceId, bytes, idempotencyKey: crypto.randomUUID(), version, attempted: false });
      this.onLocalChange(this.workspaceId, bytes);
    });
  }
}
