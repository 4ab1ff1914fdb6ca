// docs/protocol.md, "Pull" and its "Worked example": the byte layout of a pull's body.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { assertProblem, bytes, call, newMember, newWorkspace, pull, pushed } from "../protocol.mjs";

const hex = (payload) => Buffer.from(payload).toString("hex");

describe("§ Pull", () => {
  test("the worked example, byte for byte: two changes after=0 are 29 bytes, after=1 the last 14", async () => {
    const w = await newWorkspace();
    await pushed(w.workspaceId, w.token, bytes("hi"));
    await pushed(w.workspaceId, w.token, bytes("!"));
    const all = await pull(w.workspaceId, w.token, 0);
    assert.equal(all.status, 200);
    assert.equal(all.headers.get("content-type"), "application/vnd.syncengine.changes");
    assert.equal(all.head, 2);
    assert.equal(hex(all.body), "02" + "0000000000000001" + "00000002" + "6869" + "02" + "0000000000000002" + "00000001" + "21");
    const last = await pull(w.workspaceId, w.token, 1);
    assert.equal(hex(last.body), hex(all.body.subarray(15)));
    assert.equal(last.body.length, 14);
  });

  test("frames carry exactly the pushed bytes, every byte value, oldest first", async () => {
    const w = await newWorkspace();
    const payloads = [Uint8Array.from({ length: 256 }, (_, i) => i), Uint8Array.of(0), new Uint8Array(70_000).fill(0xab)];
    for (const payload of payloads) await pushed(w.workspaceId, w.token, payload);
    const { frames } = await pull(w.workspaceId, w.token, 0);
    assert.deepEqual(frames.map((f) => [f.kind, f.seq]), [[2, 1], [2, 2], [2, 3]]);
    frames.forEach((f, i) => assert.deepEqual(f.payload, payloads[i]));
  });

  test("nothing new is 204 with Sync-Head and Sync-Schema-Version and no body", async () => {
    const w = await newWorkspace();
    await pushed(w.workspaceId, w.token, bytes("x"), { version: 2 });
    const nothing = await pull(w.workspaceId, w.token, 1);
    assert.equal(nothing.status, 204);
    assert.equal(nothing.body.length, 0);
    assert.equal(nothing.headers.get("sync-head"), "1");
    assert.equal(nothing.headers.get("sync-schema-version"), "2");
    const some = await pull(w.workspaceId, w.token, 0);
    assert.equal(some.headers.get("sync-schema-version"), "2");
  });

  test("before its first push a workspace is at head 0 and schema version 0", async () => {
    const w = await newWorkspace();
    const empty = await pull(w.workspaceId, w.token, 0);
    assert.equal(empty.status, 204);
    assert.equal(empty.headers.get("sync-head"), "0");
    assert.equal(empty.headers.get("sync-schema-version"), "0");
  });

  test("a read token pulls; no after means 0", async () => {
    const w = await newWorkspace();
    await pushed(w.workspaceId, w.token, bytes("x"));
    const reader = await newMember(w.workspaceId, w.token, "read");
    const pulled = await pull(w.workspaceId, reader.token);
    assert.equal(pulled.status, 200);
    assert.deepEqual(pulled.frames.map((f) => f.seq), [1]);
  });

  test("a bad after is 400 invalid-request: negative, not a number, empty, given twice", async () => {
    const w = await newWorkspace();
    for (const query of ["after=-1", "after=x", "after=1.5", "after=", "after=1&after=2", "after=99999999999999999999"]) {
      await assertProblem(await call("GET", `/api/workspaces/${w.workspaceId}/changes?${query}`, { token: w.token }), 400, "invalid-request");
    }
  });

  test("an after beyond the head is 204 with the smaller Sync-Head, not an error", async () => {
    const w = await newWorkspace();
    await pushed(w.workspaceId, w.token, bytes("x"));
    const ahead = await pull(w.workspaceId, w.token, 50);
    assert.equal(ahead.status, 204);
    assert.equal(ahead.head, 1);
  });
});
