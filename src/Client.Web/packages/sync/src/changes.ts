import { LoroDoc } from "loro-crdt";
import { documentVersion } from "./schema.js";

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

export interface MergedChanges {
  /** One Loro update holding every given change, or undefined when they cannot be merged safely. */
  bytes: Uint8Array | undefined;
  /** The document's schema version once the changes are applied. */
  version: number | undefined;
}

/**
 * Merges local changes into one update relative to the committed state, so a burst of edits travels as one push.
 * Changes whose dependencies are missing (Loro keeps them pending) would be dropped by an export, so then nothing is
 * merged and the caller pushes them one by one.
 */
export function mergeChanges(committed: LoroDoc, changes: readonly Uint8Array[]): MergedChanges {
  const doc = committed.fork();
  const before = doc.oplogVersion();
  const status = doc.importBatch([...changes]);
  const version = documentVersion(doc);
  if (status.pending && status.pending.size > 0) {
    return { bytes: undefined, version };
  }
  return { bytes: doc.export({ mode: "update", from: before }), version };
}
