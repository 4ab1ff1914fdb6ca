import "fake-indexeddb/auto";
import { afterEach, describe, expect, it } from "vitest";
import { loadDocument } from "../src/changes.js";
import { documentVersion, initialize, type AppSchema } from "../src/schema.js";
import { SyncStore } from "../src/store.js";
import { WorkspaceHandle } from "../src/workspace.js";

const stores: SyncStore[] = [];
function store(name = `app-${crypto.randomUUID()}`): SyncStore {
  const s = new SyncStore(name);
  stores.push(s);
  return s;
}
afterEach(() => stores.splice(0).forEach((s) => s.close()));

const v1: AppSchema = { name: "meals", version: 1 };
const v2: AppSchema = { name: "meals", version: 2, migrations: { 2: (doc) => doc.getMap("meals").set("migrated", true) } };

describe("SyncStore", () => {
  it("makes a clientId on first run and keeps it", async () => {
    const name = `app-${crypto.randomUUID()}`;
    const first = await store(name).clientId();
    expect(first).toMatch(/^[0-9a-f-]{36}$/);
    expect(await store(name).clientId()).toBe(first);
    expect(await store().clientId()).not.toBe(first);
  });
});

describe("WorkspaceHandle", () => {
  it("writes every local commit to the pending store, in order, before telling the worker", async () => {
    const db = store();
    const told: Uint8Array[] = [];
    const handle = await WorkspaceHandle.open(db, v1, "w1", (_, bytes) => told.push(bytes), { create: true });
    handle.doc.getMap("meals").set("a", 1);
    handle.doc.commit();
    handle.doc.getMap("meals").set("b", 2);
    handle.doc.commit();
    await handle.flushed();

    const pending = await db.pendingOf("w1");
    expect(pending.map((p) => p.bytes)).toEqual(told);
    expect(pending).toHaveLength(3); // the initial version, then two edits
    expect(pending.every((p) => p.version === 1 && !p.attempted)).toBe(true);
    expect(new Set(pending.map((p) => p.idempotencyKey)).size).toBe(3);
    handle.close();
  });

  it("rebuilds the document from the committed snapshot plus pending changes", async () => {
    const db = store();
    const other = loadDocument(undefined);
    initialize(other, v1);
    other.getMap("meals").set("remote", "yes");
    other.commit();
    await db.committed.put({ workspaceId: "w2", snapshot: other.export({ mode: "snapshot" }), seq: 3, changesSinceSnapshot: 0 });
    const first = await WorkspaceHandle.open(db, v1, "w2", () => {});
    first.doc.getMap("meals").set("local", "pending");
    first.doc.commit();
    await first.flushed();
    first.close();

    const reopened = await WorkspaceHandle.open(db, v1, "w2", () => {});
    expect(reopened.doc.getMap("meals").toJSON()).toEqual({ remote: "yes", local: "pending" });
    reopened.close();
  });

  it("migrates an older document on open, and pulled data that arrives older", async () => {
    const db = store();
    const old = loadDocument(undefined);
    initialize(old, v1);
    await db.committed.put({ workspaceId: "w3", snapshot: old.export({ mode: "snapshot" }), seq: 1, changesSinceSnapshot: 0 });
    const handle = await WorkspaceHandle.open(db, v2, "w3", () => {});
    expect(documentVersion(handle.doc)).toBe(2);
    expect(handle.doc.getMap("meals").get("migrated")).toBe(true);
    await handle.flushed();
    expect((await db.pendingOf("w3")).at(-1)?.version).toBe(2);
    handle.close();

    const joined = await WorkspaceHandle.open(db, v2, "w4", () => {});
    expect(documentVersion(joined.doc)).toBeUndefined();
    expect(joined.applyRemote([old.export({ mode: "update" })])).toEqual({ kind: "migrated", from: 1, to: 2 });
    joined.close();
  });

  it("labels changes with the app's version, not the document's, so an old app editing newer data is refused", async () => {
    const db = store();
    const newer = loadDocument(undefined);
    initialize(newer, v2);
    await db.committed.put({ workspaceId: "w5", snapshot: newer.export({ mode: "snapshot" }), seq: 1, changesSinceSnapshot: 0 });
    const oldApp = await WorkspaceHandle.open(db, v1, "w5", () => {});
    expect(oldApp.upgrade()).toEqual({ kind: "newer", version: 2 });
    oldApp.doc.getMap("meals").set("old", true);
    oldApp.doc.commit();
    await oldApp.flushed();
    expect((await db.pendingOf("w5")).map((p) => p.version)).toEqual([1]);
    oldApp.close();

    // The updated app adopts the kept change: its migrations run again over the document, then the change travels as v2.
    const updated = await WorkspaceHandle.open(db, v2, "w5", () => {});
    expect(await updated.adoptPending()).toBe(true);
    expect((await db.pendingOf("w5")).map((p) => p.version)).toEqual([2, 2]);
    expect(updated.doc.getMap("meals").get("migrated")).toBe(true);
    updated.close();

    // An app without the migrations for that range cannot adopt it.
    const gap: AppSchema = { name: "meals", version: 3, migrations: { 3: () => {} } };
    const withGap = await WorkspaceHandle.open(db, gap, "w6", () => {}, { create: true });
    await db.pending.add({ workspaceId: "w6", bytes: new Uint8Array([1]), idempotencyKey: "k", version: 1, attempted: true });
    expect(await withGap.adoptPending()).toBe(false);
    withGap.close();
  });
});
