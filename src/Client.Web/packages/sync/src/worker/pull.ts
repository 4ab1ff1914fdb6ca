import type { LoroDoc } from "loro-crdt";
import type { SyncApi } from "../api/client.js";
import { importComplete, loadDocument } from "../changes.js";
import { readFrames } from "../frames.js";
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
  const record = await store.committed.get(workspaceId);
  const after = record?.seq ?? 0;
  const result = await api.pull(workspace.token!, workspaceId, after);
  const frames = readFrames(result.body);
  if (frames.length === 0) {
    return result.schemaVersion;
  }
  const committed = loadDocument(record?.snapshot);
  importComplete(committed, frames.map((f) => f.bytes));
  const seq = frames.reduce((max, f) => Math.max(max, f.seq), after);
  const changesSinceSnapshot = (frames.some((f) => f.kind === "snapshot") ? 0 : record?.changesSinceSnapshot ?? 0)
    + frames.filter((f) => f.kind === "change").length;
  await store.committed.put({ workspaceId, snapshot: committed.export({ mode: "snapshot" }), seq, changesSinceSnapshot });
  options.broadcast({ type: "updates", workspaceId, updates: frames.map((f) => f.bytes) });
  if (workspace.scope === "read_write" && changesSinceSnapshot >= options.snapshotEvery) {
    try {
      await compact(store, api, workspace, committed, seq, result.schemaVersion);
    } catch (error) {
      // Compaction only saves later devices time; a refused snapshot must not stop the sync.
      console.warn("SyncEngine: snapshot upload failed", error);
    }
  }
  return result.schemaVersion;
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
