// docs/protocol.md, "Push a change", "Idempotency keys" (the push column) and "Loro envelopes".
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { LoroDoc } from "loro-crdt";
import { assertProblem, bytes, call, json, newMember, newWorkspace, pull, push, pushed, settings, text, uploadSnapshot, uuid } from "../protocol.mjs";

const maxVersion = settings["Sync:MaxSchemaVersion"];

function loroUpdate(content = "hello") {
  const doc = new LoroDoc();
  doc.getText("t").insert(0, content);
  doc.commit();
  return { doc, update: doc.export({ mode: "update" }) };
}

describe("§ Push a change", () => {
  test("pushes are 201 {seq} with gap-free seqs from 1 and a Location to pull from", async () => {
    const w = await newWorkspace();
    const first = await push(w.workspaceId, w.token, bytes("a"));
    assert.equal(first.headers.get("location"), `/api/workspaces/${w.workspaceId}/changes?after=0`);
    assert.deepEqual(await json(first, 201), { seq: 1 });
    assert.deepEqual(await json(await push(w.workspaceId, w.token, bytes("b")), 201), { seq: 2 });
    const member = await newMember(w.workspaceId, w.token, "read_write");
    assert.deepEqual(await json(await push(w.workspaceId, member.token, bytes("c")), 201), { seq: 3 });
  });

  test("the same key and bytes again is 200 with the original seq and stores nothing; other bytes are 409", async () => {
    const w = await newWorkspace();
    const key = uuid();
    const seq = await pushed(w.workspaceId, w.token, bytes("once"), { key });
    assert.deepEqual(await json(await push(w.workspaceId, w.token, bytes("once"), { key }), 200), { seq });
    await assertProblem(await push(w.workspaceId, w.token, bytes("other"), { key }), 409, "idempotency-conflict");
    const pulled = await pull(w.workspaceId, w.token, 0);
    assert.equal(pulled.head, 1);
    assert.deepEqual(pulled.frames.map((f) => text(f.payload)), ["once"]);
  });

  test("a replay answers 200 even where the push would now be refused as outdated", async () => {
    const w = await newWorkspace();
    const key = uuid();
    const seq = await pushed(w.workspaceId, w.token, bytes("v1"), { key, version: 1 });
    await pushed(w.workspaceId, w.token, bytes("v2"), { version: 2 });
    assert.deepEqual(await json(await push(w.workspaceId, w.token, bytes("v1"), { key, version: 1 }), 200), { seq });
    const refused = await assertProblem(await push(w.workspaceId, w.token, bytes("v1 again"), { version: 1 }), 409, "outdated-version");
    assert.equal(refused.currentVersion, 2);
  });

  test("version gate: 0 is accepted first, a newer one becomes the workspace's, an older one is 409, above the bound 400", async () => {
    const w = await newWorkspace();
    await pushed(w.workspaceId, w.token, bytes("v0"), { version: 0 });
    assert.equal((await pull(w.workspaceId, w.token, 0)).version, 0);
    await pushed(w.workspaceId, w.token, bytes("v-max"), { version: maxVersion });
    assert.equal((await pull(w.workspaceId, w.token, 0)).version, maxVersion);
    const outdated = await assertProblem(await push(w.workspaceId, w.token, bytes("old"), { version: maxVersion - 1 }), 409, "outdated-version");
    assert.equal(outdated.currentVersion, maxVersion);
    const unknown = await assertProblem(await push(w.workspaceId, w.token, bytes("new"), { version: maxVersion + 1 }), 400, "unknown-version");
    assert.equal(unknown.maxSchemaVersion, maxVersion);
    assert.equal((await pull(w.workspaceId, w.token, 0)).head, 2, "a refused push stored something");
  });

  test("400s: no Sync-Schema-Version is missing-version; a bad version, key or empty body is invalid-request", async () => {
    const w = await newWorkspace();
    const path = `/api/workspaces/${w.workspaceId}/changes`;
    await assertProblem(await call("POST", path, { token: w.token, headers: { "idempotency-key": uuid() }, body: bytes("x") }), 400, "missing-version");
    for (const version of ["-1", "one", "1.5"]) {
      await assertProblem(await push(w.workspaceId, w.token, bytes("x"), { version }), 400, "invalid-request");
    }
    await assertProblem(await call("POST", path, { token: w.token, headers: { "sync-schema-version": "1" }, body: bytes("x") }), 400, "invalid-request");
    await assertProblem(await push(w.workspaceId, w.token, bytes("x"), { key: "not-a-uuid" }), 400, "invalid-request");
    await assertProblem(await push(w.workspaceId, w.token, new Uint8Array(0)), 400, "invalid-request");
  });

  test("a change over Sync:MaxChangeBytes is 413 payload-too-large; one at the limit is stored", async () => {
    const w = await newWorkspace();
    const max = settings["Sync:MaxChangeBytes"];
    await assertProblem(await push(w.workspaceId, w.token, new Uint8Array(max + 1).fill(7)), 413, "payload-too-large");
    assert.equal(await pushed(w.workspaceId, w.token, new Uint8Array(max).fill(7)), 1);
  });

  test("a read token is 403 forbidden, no token 401 unauthorized, another workspace's token 403", async () => {
    const w = await newWorkspace();
    const other = await newWorkspace();
    const reader = await newMember(w.workspaceId, w.token, "read");
    await assertProblem(await push(w.workspaceId, reader.token, bytes("x")), 403, "forbidden");
    await assertProblem(await push(w.workspaceId, undefined, bytes("x")), 401, "unauthorized");
    await assertProblem(await push(w.workspaceId, other.token, bytes("x")), 403, "forbidden");
  });
});

describe("§ Idempotency keys (push)", () => {
  test("a key is scoped to the workspace: another writer's push with the same key and bytes is that change's retry", async () => {
    const w = await newWorkspace();
    const member = await newMember(w.workspaceId, w.token, "read_write");
    const key = uuid();
    const seq = await pushed(w.workspaceId, w.token, bytes("shared"), { key });
    assert.deepEqual(await json(await push(w.workspaceId, member.token, bytes("shared"), { key }), 200), { seq });
    await assertProblem(await push(w.workspaceId, member.token, bytes("mine"), { key }), 409, "idempotency-conflict");
  });

  test("the same key in another workspace is unrelated", async () => {
    const a = await newWorkspace();
    const b = await newWorkspace();
    const key = uuid();
    await pushed(a.workspaceId, a.token, bytes("a1"));
    assert.equal(await pushed(a.workspaceId, a.token, bytes("same"), { key }), 2);
    assert.equal(await pushed(b.workspaceId, b.token, bytes("different"), { key }), 1);
  });
});

describe("§ Loro envelopes", () => {
  test("a Loro update starts a Loro workspace; its bytes come back exactly", async () => {
    const w = await newWorkspace();
    const { update } = loroUpdate();
    assert.deepEqual(Array.from(update.subarray(0, 4)), [0x6c, 0x6f, 0x72, 0x6f]);
    assert.equal((update[20] << 8) | update[21], 4, "loro's update mode");
    await pushed(w.workspaceId, w.token, update);
    assert.deepEqual((await pull(w.workspaceId, w.token, 0)).frames[0].payload, update);
  });

  test("422 invalid-document: a snapshot as a change, a wrong checksum, a short or other-mode header", async () => {
    const w = await newWorkspace();
    const { doc, update } = loroUpdate();
    await assertProblem(await push(w.workspaceId, w.token, doc.export({ mode: "snapshot" })), 422, "invalid-document");
    const corrupt = update.slice();
    corrupt[corrupt.length - 1] ^= 0xff;
    await assertProblem(await push(w.workspaceId, w.token, corrupt), 422, "invalid-document");
    await assertProblem(await push(w.workspaceId, w.token, update.slice(0, 21)), 422, "invalid-document");
    const mode2 = update.slice();
    mode2[21] = 2;
    await assertProblem(await push(w.workspaceId, w.token, mode2), 422, "invalid-document");
    assert.equal((await pull(w.workspaceId, w.token, 0)).head, 0);
  });

  test("the first change fixes the format: opaque bytes in a Loro workspace and Loro in an opaque one are 422", async () => {
    const loro = await newWorkspace();
    await pushed(loro.workspaceId, loro.token, loroUpdate("a").update);
    await assertProblem(await push(loro.workspaceId, loro.token, bytes("plain")), 422, "invalid-document");
    const opaque = await newWorkspace();
    await pushed(opaque.workspaceId, opaque.token, bytes("plain"));
    await assertProblem(await push(opaque.workspaceId, opaque.token, loroUpdate("b").update), 422, "invalid-document");
    const { doc } = loroUpdate("c");
    await assertProblem(await uploadSnapshot(opaque.workspaceId, opaque.token, doc.export({ mode: "snapshot" }), 1), 422, "invalid-document");
  });
});
