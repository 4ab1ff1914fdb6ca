import { LoroDoc } from "loro-crdt";

/** A Loro document rebuilt from committed bytes (a snapshot) plus changes on top. */
export function loadDocument(snapshot: Uint8Array | undefined, changes: readonly Uint8Array[] = []): LoroDoc {
  const doc = new LoroDoc();
  if (snapshot && snapshot.byteLength > 0) {
    doc.import(snapshot);
  }
  if (changes.length > 0) {
    doc.importBatch([...changes]);
  }
  return doc;
}

/**
 * Merges local changes into one update relative to the committed state, so a burst of edits travels as one push;
 * undefined when they cannot be merged safely.
 * Changes whose dependencies are missing (Loro keeps them pending) would be dropped by an export, so then nothing is
 * merged and the caller pushes them one by one.
 */
export function mergeChanges(committed: LoroDoc, changes: readonly Uint8Array[]): Uint8Array | undefined {
  const doc = committed.fork();
  const before = doc.oplogVersion();
  const status = doc.importBatch([...changes]);
  if (status.pending && status.pending.size > 0) {
    return undefined;
  }
  return doc.export({ mode: "update", from: before });
}

/**
 * Imports into the committed state, refusing bytes whose dependencies are missing: Loro would keep them aside and a
 * snapshot would silently drop them, so the seq must not move past them.
 */
export function importComplete(doc: LoroDoc, updates: Uint8Array[]): void {
  const status = doc.importBatch(updates);
  if (status.pending && status.pending.size > 0) {
    throw new Error("Received changes whose history this device lacks; keeping the previous state and retrying.");
  }
}
