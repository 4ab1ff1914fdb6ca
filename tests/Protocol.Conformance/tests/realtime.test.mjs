// docs/protocol.md, "Realtime channel".
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { assertProblem, bytes, call, newMember, newWorkspace, openSocket, parseFrames, pull, pushed, revoke, text, uuid } from "../protocol.mjs";

async function subscribed(socket, workspaceId, token, after = 0, ref = 1) {
  socket.send({ type: "subscribe", ref, workspace: workspaceId, token, after });
  const answer = await socket.next((m) => m.header.ref === ref);
  assert.equal(answer?.type, "subscribed", JSON.stringify(answer?.header));
  return answer;
}

describe("§ Realtime channel", () => {
  test("a plain GET of /api/sync is 400 invalid-request", async () => {
    await assertProblem(await call("GET", "/api/sync"), 400, "invalid-request");
  });

  test("subscribe answers subscribed with head and schemaVersion, then changes: the pull's frames after the cursor", async () => {
    const w = await newWorkspace();
    for (const t of ["a", "b", "c"]) await pushed(w.workspaceId, w.token, bytes(t));
    const socket = await openSocket();
    assert.equal(socket.socket.protocol, "syncengine.v1");
    const answer = await subscribed(socket, w.workspaceId, w.token, 1, 7);
    assert.deepEqual(answer.header, { type: "subscribed", ref: 7, workspace: w.workspaceId, head: 3, schemaVersion: 1 });
    const changes = await socket.next((m) => m.type === "changes");
    assert.equal(changes.header.head, 3);
    assert.deepEqual(parseFrames(changes.payload).map((f) => [f.kind, f.seq, text(f.payload)]), [[2, 2, "b"], [2, 3, "c"]]);
    await socket.close();
  });

  test("the worked example: an ack's bytes are the documented header, its cursor moved with the device's own change", async () => {
    const w = await newWorkspace();
    for (const t of ["1", "2", "3", "4"]) await pushed(w.workspaceId, w.token, bytes(t));
    const socket = await openSocket();
    await subscribed(socket, w.workspaceId, w.token, 4, 0);
    socket.send({ type: "push", ref: 1, workspace: w.workspaceId, key: uuid(), version: 1 }, bytes("!"));
    const ack = await socket.next((m) => m.header.ref === 1);
    const expected = `{"type":"ack","ref":1,"workspace":"${w.workspaceId}","seq":5,"replayed":false,"cursor":5}`;
    assert.equal(ack.headerText, expected);
    assert.deepEqual([...ack.raw.subarray(0, 2)], [0, expected.length]);
    assert.equal(ack.payload.length, 0);
    assert.equal(text((await pull(w.workspaceId, w.token, 4)).frames[0].payload), "!");
    await socket.close();
  });

  test("another device's change arrives with its bytes; a device's own change is not sent back to it", async () => {
    const w = await newWorkspace();
    const member = await newMember(w.workspaceId, w.token, "read_write");
    const first = await openSocket();
    const second = await openSocket();
    await subscribed(first, w.workspaceId, w.token);
    await subscribed(second, w.workspaceId, member.token);
    first.send({ type: "push", ref: 2, workspace: w.workspaceId, key: uuid(), version: 1 }, bytes("mine"));
    assert.equal((await first.next((m) => m.header.ref === 2)).header.cursor, 1);
    const arrived = await second.next((m) => m.type === "changes");
    assert.deepEqual(parseFrames(arrived.payload).map((f) => [f.seq, text(f.payload)]), [[1, "mine"]]);
    second.send({ type: "push", ref: 3, workspace: w.workspaceId, key: uuid(), version: 1 }, bytes("theirs"));
    assert.equal((await second.next((m) => m.header.ref === 3)).header.seq, 2);
    const next = await first.next((m) => m.type === "changes");
    assert.deepEqual(parseFrames(next.payload).map((f) => f.seq), [2]);
    await first.close();
    await second.close();
  });

  test("the same key again is ack replayed with the first seq; other bytes under it are error 409 idempotency-conflict", async () => {
    const w = await newWorkspace();
    const socket = await openSocket();
    await subscribed(socket, w.workspaceId, w.token);
    const key = uuid();
    socket.send({ type: "push", ref: 1, workspace: w.workspaceId, key, version: 1 }, bytes("x"));
    socket.send({ type: "push", ref: 2, workspace: w.workspaceId, key, version: 1 }, bytes("x"));
    socket.send({ type: "push", ref: 3, workspace: w.workspaceId, key, version: 1 }, bytes("y"));
    const [a, b, c] = [await socket.next((m) => m.header.ref === 1), await socket.next((m) => m.header.ref === 2), await socket.next((m) => m.header.ref === 3)];
    assert.deepEqual([a.type, a.header.seq, a.header.replayed], ["ack", 1, false]);
    assert.deepEqual([b.type, b.header.seq, b.header.replayed], ["ack", 1, true]);
    assert.deepEqual([c.type, c.header.status, c.header.code], ["error", 409, "idempotency-conflict"]);
    assert.equal((await pull(w.workspaceId, w.token, 0)).head, 1);
    await socket.close();
  });

  test("errors carry the HTTP route's status and code, and the socket stays open", async () => {
    const w = await newWorkspace();
    const other = await newWorkspace();
    const socket = await openSocket();
    socket.socket.send("text");
    assert.equal((await socket.next((m) => m.type === "error")).header.code, "invalid-request");
    socket.send({ type: "teleport", ref: 4, workspace: w.workspaceId });
    assert.deepEqual((await socket.next((m) => m.header.ref === 4)).header.code, "invalid-request");
    socket.send({ type: "subscribe", ref: 5, workspace: w.workspaceId, token: other.token, after: 0 });
    const forbidden = (await socket.next((m) => m.header.ref === 5)).header;
    assert.deepEqual([forbidden.type, forbidden.status, forbidden.code, forbidden.workspace], ["error", 403, "forbidden", w.workspaceId]);
    socket.send({ type: "push", ref: 6, workspace: w.workspaceId, key: uuid(), version: 1 }, bytes("z"));
    assert.deepEqual([(await socket.next((m) => m.header.ref === 6)).header.code], ["unauthorized"]);
    await subscribed(socket, w.workspaceId, w.token, 0, 7);
    socket.send({ type: "push", ref: 8, workspace: w.workspaceId, key: uuid() }, bytes("z"));
    assert.equal((await socket.next((m) => m.header.ref === 8)).header.code, "missing-version");
    assert.equal((await pull(w.workspaceId, w.token, 0)).head, 0);
    await socket.close();
  });

  test("revocation ends the workspace's subscription with revoked; a push after it is 401", async () => {
    const w = await newWorkspace();
    const member = await newMember(w.workspaceId, w.token, "read_write");
    const socket = await openSocket();
    await subscribed(socket, w.workspaceId, member.token);
    assert.equal((await revoke(w.workspaceId, w.token, member.clientId)).status, 204);
    const ended = await socket.next((m) => m.type === "revoked", 5_000);
    assert.deepEqual(ended?.header, { type: "revoked", workspace: w.workspaceId });
    socket.send({ type: "push", ref: 9, workspace: w.workspaceId, key: uuid(), version: 1 }, bytes("late"));
    assert.equal((await socket.next((m) => m.header.ref === 9)).header.status, 401);
    assert.equal((await pull(w.workspaceId, w.token, 0)).head, 0);
    await socket.close();
  });
});
