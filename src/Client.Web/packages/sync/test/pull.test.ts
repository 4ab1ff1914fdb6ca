import "fake-indexeddb/auto";
import { LoroDoc } from "loro-crdt";
import { afterEach, describe, expect, it } from "vitest";
import type { PullResult, SyncApi } from "../src/api/client.js";
import { loadDocument } from "../src/changes.js";
import type { Broadcast } from "../src/messages.js";
import { SyncStore, type WorkspaceRecord } from "../src/store.js";
import { pull } from "../src/worker/pull.js";

const stores: SyncStore[] = [];
afterEach(() => stores.splice(0).forEach((s) => s.close()));

/** The framed body of a pull (docs/protocol.md): kind, seq (int64 BE), length (uint32 BE), bytes. */
function body(frames: { kind: "snapshot" | "change"; seq: number; bytes: Uint8Array }[]): Uint8Array {
  const out = new Uint8Array(frames.reduce((n, f) => n + 13 + f.bytes.byteLength, 0));
  const view = new DataView(out.buffer);
  let offset = 0;
  for (const frame of frames) {
    view.setUint8(offset, frame.kind === "snapshot" ? 1 : 2);
    view.setBigInt64(offset + 1, BigInt(frame.seq), false);
    view.setUint32(offset + 9, frame.bytes.byteLength, false);
    out.set(frame.bytes, offset + 13);
    offset += 13 + frame.bytes.byteLength;
  }
  return out;
}

/** A server holding `log` (one change per seq) that answers pulls as docs/protocol.md says, recording each `after`. */
function server(log: Uint8Array[], schemaVersion = 1) {
  const asked: number[] = [];
  const api = {
    pull: async (_token: string, _workspaceId: string, after: number): Promise<PullResult> => {
      asked.push(after);
      const frames = log.map((bytes, i) => ({ kind: "change" as const, seq: i + 1, bytes })).filter((f) => f.seq > after);
      return { head: log.length, schemaVersion, body: body(frames) };
    },
  } as unknown as SyncApi;
  return { api, asked };
}

/** Edits a document and returns the update the edit made. */
function edit(doc: LoroDoc, key: string, value: string): Uint8Array {
  const before = doc.oplogVersion();
  doc.getMap("meals").set(key, value);
  doc.commit();
  return doc.export({ mode: "update", from: before });
}

const workspace: WorkspaceRecord = {
  workspaceId: "w1", role: "owner", label: "", createdAt: 0, claimKey: "k", token: "t", scope: "read_write", state: "syncing", serverVersion: 1,
};

async function deviceWith(doc: LoroDoc, seq: number): Promise<SyncStore> {
  const store = new SyncStore(`app-${crypto.randomUUID()}`);
  stores.push(store);
  await store.committed.put({ workspaceId: "w1", snapshot: doc.export({ mode: "snapshot" }), seq, changesSinceSnapshot: seq });
  return store;
}

describe("pull", () => {
  it("moves the cursor by what the server sends after it", async () => {
    const doc = new LoroDoc();
    const log = [edit(doc, "a", "1"), edit(doc, "b", "2"), edit(doc, "c", "3")];
    const store = await deviceWith(loadDocument(undefined, log.slice(0, 1)), 1);
    const { api, asked } = server(log);

    await pull(store, api, workspace, { broadcast: () => {}, snapshotEvery: 1000 });

    expect(asked).toEqual([1]);
    expect((await store.committed.get("w1"))!.seq).toBe(3);
    expect(await store.pendingOf("w1")).toEqual([]);
  });

  it("takes the whole log again when the server's head is below the cursor, and queues what the server lost", async () => {
    // The device pulled seqs 1-3; the server was then restored from a backup holding only seq 1, and someone wrote a
    // new seq 2 there.
    const writer = new LoroDoc();
    const first = edit(writer, "a", "breakfast");
    const lost = [edit(writer, "b", "lunch"), edit(writer, "c", "dinner")];
    const store = await deviceWith(loadDocument(undefined, [first, ...lost]), 3);
    const other = loadDocument(undefined, [first]);
    const written = edit(other, "d", "snack");
    const { api, asked } = server([first, written]);
    const told: Broadcast[] = [];

    await pull(store, api, workspace, { broadcast: (m) => told.push(m), snapshotEvery: 1000 });

    expect(asked).toEqual([3, 0]);
    const committed = (await store.committed.get("w1"))!;
    expect(committed.seq).toBe(2);
    // The device keeps what it had and gains what was written since.
    expect(loadDocument(committed.snapshot).getMap("meals").toJSON()).toEqual({ a: "breakfast", b: "lunch", c: "dinner", d: "snack" });
    expect(told).toEqual([{ type: "updates", workspaceId: "w1", updates: [first, written] }]);
    // What the server lost waits to be pushed back, and holds nothing the server has.
    const [back, ...rest] = await store.pendingOf("w1");
    expect(rest).toEqual([]);
    expect(back).toMatchObject({ workspaceId: "w1", version: 1, attempted: false });
    const serverAfterPush = loadDocument(undefined, [first, written, back!.bytes]);
    expect(serverAfterPush.getMap("meals").toJSON()).toEqual({ a: "breakfast", b: "lunch", c: "dinner", d: "snack" });
    expect(loadDocument(undefined, [first, back!.bytes]).getMap("meals").toJSON()).toEqual({ a: "breakfast", b: "lunch", c: "dinner" });
    // It starts after the server's own history (alone, it waits for `first`), rather than repeating all of it.
    expect(new LoroDoc().importBatch([back!.bytes]).pending?.size).toBeGreaterThan(0);
  });

  it("queues nothing when the server below the cursor holds all the device has", async () => {
    // A cursor from another deployment of the same data: the server numbered the same changes differently.
    const writer = new LoroDoc();
    const log = [edit(writer, "a", "1"), edit(writer, "b", "2")];
    const store = await deviceWith(loadDocument(undefined, log), 9);
    const { api, asked } = server(log);

    await pull(store, api, workspace, { broadcast: () => {}, snapshotEvery: 1000 });

    expect(asked).toEqual([9, 0]);
    expect((await store.committed.get("w1"))!.seq).toBe(2);
    expect(await store.pendingOf("w1")).toEqual([]);
  });
});
