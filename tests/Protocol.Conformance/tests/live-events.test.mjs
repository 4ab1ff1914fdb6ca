// docs/protocol.md, "Live events".
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { bytes, call, newMember, newWorkspace, openEvents, push, pushed, settings } from "../protocol.mjs";

const ids = (stream) => stream.heads().map((e) => Number(e.id));

describe("§ Live events", () => {
  test("retry: 3000, then the current head once, then one head event per committed seq, id and data the seq", async () => {
    const w = await newWorkspace();
    await pushed(w.workspaceId, w.token, bytes("1"));
    await pushed(w.workspaceId, w.token, bytes("2"));
    const stream = await openEvents(w.workspaceId, w.token);
    assert.equal(stream.response.status, 200);
    assert.match(stream.response.headers.get("content-type") ?? "", /^text\/event-stream/);
    assert.ok(await stream.until((r) => r.some((e) => e.event === "head")));
    assert.deepEqual(stream.received[0], { retry: 3000 });
    assert.deepEqual(stream.heads(), [{ event: "head", data: '{"seq":2}', id: "2" }]);
    for (const text of ["3", "4", "5"]) await pushed(w.workspaceId, w.token, bytes(text));
    assert.ok(await stream.until(() => ids(stream).includes(5)), `heads: ${ids(stream)}`);
    assert.deepEqual(ids(stream), [2, 3, 4, 5]);
    for (const e of stream.heads()) assert.deepEqual(JSON.parse(e.data), { seq: Number(e.id) });
    await stream.close();
  });

  test("a workspace nobody pushed to starts the stream at head 0", async () => {
    const w = await newWorkspace();
    const stream = await openEvents(w.workspaceId, w.token);
    assert.ok(await stream.until(() => stream.heads().length > 0));
    assert.deepEqual(stream.heads(), [{ event: "head", data: '{"seq":0}', id: "0" }]);
    await stream.close();
  });

  test("with Last-Event-ID, one event for each seq after it; any token of the workspace may listen", async () => {
    const w = await newWorkspace();
    for (let i = 0; i < 4; i++) await pushed(w.workspaceId, w.token, bytes(String(i)));
    const reader = await newMember(w.workspaceId, w.token, "read");
    const stream = await openEvents(w.workspaceId, reader.token, { lastEventId: 1 });
    assert.ok(await stream.until(() => ids(stream).includes(4)));
    assert.deepEqual(ids(stream), [2, 3, 4]);
    await stream.close();
  });

  test("a Last-Event-ID that is not a non-negative integer counts as absent", async () => {
    const w = await newWorkspace();
    for (let i = 0; i < 3; i++) await pushed(w.workspaceId, w.token, bytes(String(i)));
    for (const lastEventId of ["abc", "-5"]) {
      const stream = await openEvents(w.workspaceId, w.token, { lastEventId });
      assert.ok(await stream.until(() => stream.heads().length > 0));
      assert.deepEqual(ids(stream), [3]);
      await stream.close();
    }
  });

  test("a Last-Event-ID beyond the head sends nothing until the head passes it, heartbeats only", async () => {
    const w = await newWorkspace();
    await pushed(w.workspaceId, w.token, bytes("1"));
    const stream = await openEvents(w.workspaceId, w.token, { lastEventId: 3 });
    const beat = settings["Sync:HeartbeatEvery"] * 1000;
    assert.ok(await stream.until((r) => r.some((e) => e.comment === "heartbeat"), beat + 5000), "no heartbeat");
    for (const text of ["2", "3", "4"]) await pushed(w.workspaceId, w.token, bytes(text));
    assert.ok(await stream.until(() => ids(stream).includes(4)));
    assert.deepEqual(ids(stream), [4]);
    await stream.close();
  });

  test("a resume more than 1000 behind gets events for head − 999 … head only", async () => {
    const w = await newWorkspace();
    // Six writers, so no client passes its rate bucket (200 at once) while the log grows past 1000.
    const writers = [w.token];
    for (let i = 0; i < 5; i++) writers.push((await newMember(w.workspaceId, w.token, "read_write")).token);
    const total = 1005;
    let next = 0;
    await Promise.all(writers.map(async (token) => {
      while (next < total) {
        next++;
        const response = await push(w.workspaceId, token, bytes("x"));
        assert.equal(response.status, 201, await response.text());
      }
    }));
    const stream = await openEvents(w.workspaceId, w.token, { lastEventId: 0 });
    assert.ok(await stream.until(() => ids(stream).includes(total), 20_000));
    const received = ids(stream);
    assert.equal(received.length, 1000);
    assert.equal(received[0], total - 999);
    assert.deepEqual(received, Array.from({ length: 1000 }, (_, i) => total - 999 + i));
    await stream.close();
  });

  test("a heartbeat comment comes every Sync:HeartbeatEvery when idle", async () => {
    const w = await newWorkspace();
    const stream = await openEvents(w.workspaceId, w.token);
    const beat = settings["Sync:HeartbeatEvery"] * 1000;
    assert.ok(await stream.until((r) => r.filter((e) => e.comment === "heartbeat").length >= 2, 2 * beat + 5000));
    await stream.close();
  });

  test("EventSource cannot be used: the token is taken from the Authorization header only", async () => {
    const w = await newWorkspace();
    const path = `/api/workspaces/${w.workspaceId}/events`;
    const accept = { accept: "text/event-stream" };
    // What EventSource can send: no header, at most a query parameter or a cookie.
    for (const [query, headers] of [["", accept], [`?access_token=${w.token}`, accept], ["", { ...accept, cookie: `token=${w.token}` }]]) {
      const response = await call("GET", path + query, { headers });
      assert.equal(response.status, 401, `${query} ${JSON.stringify(headers)}`);
      await response.arrayBuffer();
    }
  });
});
