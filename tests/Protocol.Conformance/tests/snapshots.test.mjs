// docs/protocol.md, "Snapshots (compaction)" and the snapshot rules of "Pull".
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { LoroDoc } from "loro-crdt";
import { assertProblem, bytes, call, json, newMember, newWorkspace, pull, pushed, settings, text, uploadSnapshot, FrameKind } from "../protocol.mjs";

/** An opaque workspace with `count` changes of `size` bytes each. */
async function workspaceWith(count, size) {
  const w = await newWorkspace();
  for (let i = 1; i <= count; i++) await pushed(w.workspaceId, w.token, new Uint8Array(size).fill(i));
  return w;
}

describe("§ Snapshots (compaction)", () => {
  test("Sync-Covers and Sync-Schema-Version are the headers it takes: 201 {covers}, no Idempotency-Key", async () => {
    const w = await workspaceWith(3, 100);
    const response = await call("POST", `/api/workspaces/${w.workspaceId}/snapshots`,
      { token: w.token, headers: { "sync-covers": "3", "sync-schema-version": "1", "content-type": "application/octet-stream" }, body: bytes("snap") });
    assert.deepEqual(await json(response, 201), { covers: 3 });
  });

  test("400: Sync-Schema-Version missing (missing-version) or not released (unknown-version, with maxSchemaVersion); nothing stored", async () => {
    const w = await workspaceWith(3, 100);
    const path = `/api/workspaces/${w.workspaceId}/snapshots`;
    await assertProblem(await call("POST", path, { token: w.token, headers: { "sync-covers": "3" }, body: bytes("snap") }), 400, "missing-version");
    const unknown = await assertProblem(await uploadSnapshot(w.workspaceId, w.token, bytes("snap"), 3, 999), 400, "unknown-version");
    assert.equal(typeof unknown.maxSchemaVersion, "number");
    const { frames } = await pull(w.workspaceId, w.token, 0);
    assert.deepEqual(frames.map((f) => f.kind), [FrameKind.change, FrameKind.change, FrameKind.change]);
  });

  test("a pull from before the snapshot gets it (kind 1, seq = covers) then the changes after it, when it is cheaper", async () => {
    const w = await workspaceWith(3, 100);
    assert.deepEqual(await json(await uploadSnapshot(w.workspaceId, w.token, bytes("snap"), 2), 201), { covers: 2 });
    const { frames, body } = await pull(w.workspaceId, w.token, 0);
    assert.deepEqual(frames.map((f) => [f.kind, f.seq]), [[FrameKind.snapshot, 2], [FrameKind.change, 3]]);
    assert.equal(text(frames[0].payload), "snap");
    assert.equal(Buffer.from(body.subarray(0, 17)).toString("hex"), "01" + "0000000000000002" + "00000004" + "736e6170");
    // At 1 the change it lacks up to 2 costs 100 + 13 bytes, the snapshot 4 + 13: the snapshot again.
    const behindOne = await pull(w.workspaceId, w.token, 1);
    assert.deepEqual(behindOne.frames.map((f) => [f.kind, f.seq]), [[FrameKind.snapshot, 2], [FrameKind.change, 3]]);
    // After the snapshot's seq, only changes.
    assert.deepEqual((await pull(w.workspaceId, w.token, 2)).frames.map((f) => [f.kind, f.seq]), [[FrameKind.change, 3]]);
  });

  test("a client one change behind gets that change, not a larger snapshot", async () => {
    const w = await workspaceWith(3, 10);
    await json(await uploadSnapshot(w.workspaceId, w.token, new Uint8Array(500).fill(9), 3), 201);
    assert.deepEqual((await pull(w.workspaceId, w.token, 2)).frames.map((f) => [f.kind, f.seq]), [[FrameKind.change, 3]]);
    // From 0 the changes (3 × 23 bytes) are cheaper than the snapshot (513) too.
    assert.deepEqual((await pull(w.workspaceId, w.token, 0)).frames.map((f) => f.kind), [2, 2, 2]);
  });

  test("the same seq again replaces the snapshot (201); an older seq than the newest is 409 conflict", async () => {
    const w = await workspaceWith(3, 100);
    await json(await uploadSnapshot(w.workspaceId, w.token, bytes("first"), 3), 201);
    await json(await uploadSnapshot(w.workspaceId, w.token, bytes("second"), 3), 201);
    assert.equal(text((await pull(w.workspaceId, w.token, 0)).frames[0].payload), "second");
    await assertProblem(await uploadSnapshot(w.workspaceId, w.token, bytes("older"), 2), 409, "conflict");
    assert.equal(text((await pull(w.workspaceId, w.token, 0)).frames[0].payload), "second");
  });

  test("a newer snapshot takes over from the older one", async () => {
    const w = await workspaceWith(4, 100);
    await json(await uploadSnapshot(w.workspaceId, w.token, bytes("two"), 2), 201);
    await json(await uploadSnapshot(w.workspaceId, w.token, bytes("four"), 4), 201);
    const { frames } = await pull(w.workspaceId, w.token, 0);
    assert.deepEqual(frames.map((f) => [f.kind, f.seq, text(f.payload)]), [[FrameKind.snapshot, 4, "four"]]);
  });

  test("400: Sync-Covers missing, not a positive integer, or beyond the head; an empty body", async () => {
    const w = await workspaceWith(2, 10);
    const path = `/api/workspaces/${w.workspaceId}/snapshots`;
    await assertProblem(await call("POST", path, { token: w.token, body: bytes("snap") }), 400, "invalid-request");
    for (const covers of ["0", "-1", "x", "3"]) {
      await assertProblem(await uploadSnapshot(w.workspaceId, w.token, bytes("snap"), covers), 400, "invalid-request");
    }
    await assertProblem(await uploadSnapshot(w.workspaceId, w.token, new Uint8Array(0), 1), 400, "invalid-request");
  });

  test("413 over Sync:MaxSnapshotBytes; a read token is 403", async () => {
    const w = await workspaceWith(1, 10);
    const max = settings["Sync:MaxSnapshotBytes"];
    await assertProblem(await uploadSnapshot(w.workspaceId, w.token, new Uint8Array(max + 1), 1), 413, "payload-too-large");
    const reader = await newMember(w.workspaceId, w.token, "read");
    await assertProblem(await uploadSnapshot(w.workspaceId, reader.token, bytes("snap"), 1), 403, "forbidden");
  });

  test("in a Loro workspace a snapshot must be a Loro snapshot: an update is 422 invalid-document", async () => {
    const w = await newWorkspace();
    const doc = new LoroDoc();
    doc.getText("t").insert(0, "x");
    doc.commit();
    await pushed(w.workspaceId, w.token, doc.export({ mode: "update" }));
    await assertProblem(await uploadSnapshot(w.workspaceId, w.token, doc.export({ mode: "update" }), 1), 422, "invalid-document");
    await assertProblem(await uploadSnapshot(w.workspaceId, w.token, bytes("opaque"), 1), 422, "invalid-document");
    await json(await uploadSnapshot(w.workspaceId, w.token, doc.export({ mode: "snapshot" }), 1), 201);
  });
});
