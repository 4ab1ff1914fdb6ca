import type { LoroDoc } from "loro-crdt";
import { importComplete, loadDocument, mergeChanges } from "../changes.js";
import type { PendingChange, SyncStore, WorkspaceRecord } from "../store.js";

/** How many bytes of never-sent changes one merged push may carry. */
const mergeBudgetBytes = 1024 * 1024;

/**
 * Pushes every pending change of a workspace, oldest first, and throws the first refusal (an ApiProblem) or network
 * failure. A pending change leaves the store only in the transaction that records the server's acknowledgement.
 */
/** Sends one change and returns its seq: over HTTP (SyncApi.push), or over the socket where the workspace is followed there. */
export type Push = (token: string, workspaceId: string, bytes: Uint8Array, idempotencyKey: string, schemaVersion: number) => Promise<number>;

export async function pushPending(store: SyncStore, push: Push, workspace: WorkspaceRecord): Promise<void> {
  const { workspaceId, token } = workspace;
  for (;;) {
    const pending = await store.pendingOf(workspaceId);
    if (pending.length === 0) {
      return;
    }
    const committedRecord = await store.committed.get(workspaceId);
    const committed = loadDocument(committedRecord?.snapshot);
    const batch = await nextBatch(store, workspaceId, committed, pending);
    await push(token!, workspaceId, batch.bytes, batch.idempotencyKey, batch.version);
    await acknowledge(store, workspaceId, batch, committed);
  }
}

/**
 * The change to push next. Changes never sent are merged into one (with a new idempotency key); a change that was
 * sent once keeps its bytes and key, so a retry after a lost answer is recognised by the server.
 */
async function nextBatch(store: SyncStore, workspaceId: string, committed: LoroDoc, pending: PendingChange[]): Promise<PendingChange> {
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
    await store.pending.update(first.id!, { attempted: true });
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
  await store.transaction("rw", store.pending, async () => {
    await store.pending.bulkDelete(fresh.slice(1).map((p) => p.id!));
    await store.pending.put(batch);
  });
  return batch;
}

async function acknowledge(store: SyncStore, workspaceId: string, change: PendingChange, committed: LoroDoc): Promise<void> {
  importComplete(committed, [change.bytes]);
  const snapshot = committed.export({ mode: "snapshot" });
  await store.transaction("rw", store.pending, store.committed, async () => {
    await store.pending.delete(change.id!);
    const record = await store.committed.get(workspaceId);
    await store.committed.put({
      workspaceId,
      snapshot,
      seq: record?.seq ?? 0,
      changesSinceSnapshot: record?.changesSinceSnapshot ?? 0,
    });
  });
}
