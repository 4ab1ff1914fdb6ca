import type { LoroDoc } from "loro-crdt";

/** Changes a document from the previous schema version to the one it is registered under. */
export type Migration = (doc: LoroDoc) => void;

/**
 * What an app brings: its name (one local database per app), its document schema version, how a new document starts,
 * and the migrations that bring an older document up to `version`, keyed by the version each one produces.
 */
export interface AppSchema {
  name: string;
  version: number;
  init?: (doc: LoroDoc) => void;
  migrations?: Readonly<Record<number, Migration>>;
}

// The library's own bookkeeping inside the document; apps keep their data in other root containers.
const metaContainer = "syncengine";
const versionKey = "schemaVersion";

/** The schema version a document was last written with; undefined for a document nobody has written yet. */
export function documentVersion(doc: LoroDoc): number | undefined {
  const value = doc.getMap(metaContainer).get(versionKey);
  return typeof value === "number" ? value : undefined;
}

/** Starts a new document at the app's version. */
export function initialize(doc: LoroDoc, schema: AppSchema): void {
  schema.init?.(doc);
  doc.getMap(metaContainer).set(versionKey, schema.version);
  doc.commit({ origin: "syncengine:init" });
}

export type MigrationOutcome =
  | { kind: "current"; version: number | undefined }
  | { kind: "migrated"; from: number; to: number }
  | { kind: "newer"; version: number }
  | { kind: "missing"; from: number; missing: number };

/**
 * Runs, in order, every migration between the document's version and the app's, committing after each so that each
 * step is one local change. An empty document is left alone (it waits for its first pull); a document newer than the
 * app is reported, never touched; a gap in the registry stops before anything is changed.
 */
export function migrate(doc: LoroDoc, schema: AppSchema): MigrationOutcome {
  const from = documentVersion(doc);
  if (from === undefined || from === schema.version) {
    return { kind: "current", version: from };
  }
  if (from > schema.version) {
    return { kind: "newer", version: from };
  }
  for (let version = from + 1; version <= schema.version; version++) {
    if (!schema.migrations?.[version]) {
      return { kind: "missing", from, missing: version };
    }
  }
  for (let version = from + 1; version <= schema.version; version++) {
    schema.migrations![version]!(doc);
    doc.getMap(metaContainer).set(versionKey, version);
    doc.commit({ origin: `syncengine:migrate:${version}` });
  }
  return { kind: "migrated", from, to: schema.version };
}
