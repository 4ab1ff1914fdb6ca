import type { LoroDoc } from "loro-crdt";
import type { SyncApi } from "../api/client.js";
import { importComplete, loadDocument } from "../changes.js";
import { readFrames, type Frame } from "../frames.js";
import type { Broadcast } from "../messages.js";
import type { SyncStore, WorkspaceRecord } from "../store.js";

export interface PullOptions {
  broadcast: (message: Broadcast) => void;
  /** Pulled changes after which a `read_write` device uploads a snapshot, so that new devices download one blob. */
  snapshotEvery: number;
}

/**
 * Pulls what this device lacks into the committed state and tells open documents; returns the workspace's schema
 * version as the server reports it.
 */
export async function pull(store: SyncStore, api: SyncApi, workspace: WorkspaceRecord, options: PullOptions): Promise<number> {
  const { workspaceId } = workspace;
  const after = (await store.committed.get(workspaceId))?.seq ?? 0;
  const result = await api.pull(workspace.token!, workspaceId, after);
  if (result.head < after) {
    // The server's log ends before this device's cursor: it lacks seqs this device pulled (restored from an older
    // backup, or a cursor kept for another deployment). Waiting would never bring them; take the whole log again.
    const everything = await api.pull(workspace.token!, workspaceId, 0);
    await rejoin(store, workspace, readFrames(everything.body), everything.head, everything.schemaVersion, options.broadcast);
    return everything.schemaVersion;
  }
  const applied = await commitFrames(store, workspaceId, readFrames(result.body), options.broadcast);
  if (applied.kind === "applied" && workspace.scope === "read_write" && applied.changesSinceSnapshot >= options.snapshotEvery) {
    try {
      await compact(store, api, workspace, applied.committed, applied.seq, result.schemaVersion);
    } catch (error) {
      // Compaction only saves later devices time; a refused snapshot must not stop the sync.
      console.warn("SyncEngine: snapshot upload failed", error);
    }
  }
  return result.schemaVersion;
}

/** What {@link commitFrames} did. */
export type Committed =
  | { kind: "applied"; committed: LoroDoc; seq: number; changesSinceSnapshot: number }
  /** Every frame was at or below the device's cursor already (a pull and the socket both brought it). */
  | { kind: "nothing-new" }
  /** The first new frame does not follow the cursor: nothing applied; pull instead. */
  | { kind: "gap" };

/**
 * Imports the frames after this device's cursor into the committed state, moves the cursor, and tells open
 * documents: a pull's answer and the socket's `changes` alike. Frames at or below the cursor are skipped (another
 * path brought them); a change that does not follow the cursor is not applied, since the cursor must stay gap-free.
 */
export async function commitFrames(
  store: SyncStore, workspaceId: string, frames: Frame[], broadcast: (message: Broadcast) => void,
): Promise<Committed> {
  const record = await store.committed.get(workspaceId);
  const after = record?.seq ?? 0;
  const fresh = frames.filter((f) => f.seq > after);
  if (fresh.length === 0) {
    return { kind: "nothing-new" };
  }
  if (fresh[0]!.kind === "change" && fresh[0]!.seq !== after + 1) {
    return { kind: "gap" };
  }
  const committed = loadDocument(record?.snapshot);
  importComplete(committed, fresh.map((f) => f.bytes));
  const seq = fresh.reduce((max, f) => Math.max(max, f.seq), after);
  const changesSinceSnapshot = (fresh.some((f) => f.kind === "snapshot") ? 0 : record?.changesSinceSnapshot ?? 0)
    + fresh.filter((f) => f.kind === "change").length;
  await store.committed.put({ workspaceId, snapshot: committed.export({ mode: "snapshot" }), seq, changesSinceSnapshot });
  broadcast({ type: "updates", workspaceId, updates: fresh.map((f) => f.bytes) });
  return { kind: "applied", committed, seq, changesSinceSnapshot };
}

/**
 * Makes the server's whole log (`frames`, up to `head`) this device's committed state and cursor, keeping what the
 * device held besides: the edits the server no longer has are queued as one pending change, pushed like any local
 * edit, so the server and every other device get them back. Loro's import is idempotent, so ops both sides hold are
 * not doubled.
 */
export async function rejoin(
  store: SyncStore, workspace: WorkspaceRecord, frames: Frame[], head: number, schemaVersion: number,
  broadcast: (message: Broadcast) => void,
): Promise<void> {
  const { workspaceId } = workspace;
  const updates = frames.map((f) => f.bytes);
  const server = loadDocument(undefined);
  importComplete(server, updates);
  const record = await store.committed.get(workspaceId);
  const committed = loadDocument(record?.snapshot);
  // 1: this device holds ops the server lacks; undefined: each holds some the other lacks.
  const order = committed.oplogVersion().compare(server.oplogVersion());
  const lacking = order === 1 || order === undefined ? committed.export({ mode: "update", from: server.oplogVersion() }) : undefined;
  importComplete(committed, updates);
  const lastSnapshot = frames.map((f) => f.kind).lastIndexOf("snapshot");
  const changesSinceSnapshot = frames.slice(lastSnapshot + 1).filter((f) => f.kind === "change").length;
  await store.transaction("rw", store.committed, store.pending, async () => {
    await store.committed.put({ workspaceId, snapshot: committed.export({ mode: "snapshot" }), seq: head, changesSinceSnapshot });
    if (lacking) {
      await store.pending.add({
        workspaceId,
        bytes: lacking,
        idempotencyKey: crypto.randomUUID(),
        // Of the version the device last saw the workspace at, or the server's if that is newer.
        version: Math.max(workspace.serverVersion ?? 0, schemaVersion),
        attempted: false,
      });
    }
  });
  if (frames.length > 0) {
    broadcast({ type: "updates", workspaceId, updates });
  }
}

/**
 * Uploads a snapshot covering what this device has pulled, so later devices start from one blob. It holds only what
 * the server acknowledged, so it is of the workspace's schema version as the server reported it.
 */
async function compact(
  store: SyncStore, api: SyncApi, workspace: WorkspaceRecord, committed: LoroDoc, seq: number, schemaVersion: number,
): Promise<void> {
  await api.uploadSnapshot(workspace.token!, workspace.workspaceId, committed.export({ mode: "snapshot" }), seq, schemaVersion);
  await store.committed.update(workspace.workspaceId, { changesSinceSnapshot: 0 });
}
