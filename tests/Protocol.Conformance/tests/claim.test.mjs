// docs/protocol.md, "Claim a workspace" and "Idempotency keys" (the claim column).
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { assertProblem, call, claim, eventually, json, newWorkspace, pull, revoke, settings, uuid } from "../protocol.mjs";

describe("§ Claim a workspace", () => {
  test("a claim is 201 with workspaceId, ownerClientId, createdAt and a master token", async () => {
    const workspaceId = uuid();
    const owner = uuid();
    const response = await claim(workspaceId, owner, uuid());
    const body = await json(response, 201);
    assert.deepEqual(Object.keys(body).sort(), ["createdAt", "ownerClientId", "token", "workspaceId"]);
    assert.equal(body.workspaceId, workspaceId);
    assert.equal(body.ownerClientId, owner);
    assert.ok(!Number.isNaN(Date.parse(body.createdAt)));
    assert.equal((await pull(workspaceId, body.token, 0)).status, 204);
  });

  test("a retry with the same key and clientId is 201 again with a new master token, and the first stays valid", async () => {
    const first = await newWorkspace();
    const retry = await json(await claim(first.workspaceId, first.owner, first.key), 201);
    assert.equal(retry.workspaceId, first.workspaceId);
    assert.equal(retry.ownerClientId, first.owner);
    assert.equal(retry.createdAt, first.claimed.createdAt);
    assert.notEqual(retry.token, first.token, "a retry mints another master token");
    for (const token of [first.token, retry.token]) {
      assert.equal((await pull(first.workspaceId, token, 0)).status, 204);
      // Both are master tokens: the owner-only route answers both.
      assert.equal((await call("GET", `/api/workspaces/${first.workspaceId}/tokens`, { token })).status, 200);
    }
  });

  test("the same key from another client, or another key from the owner, is 409 workspace-exists", async () => {
    const w = await newWorkspace();
    await assertProblem(await claim(w.workspaceId, uuid(), w.key), 409, "workspace-exists");
    await assertProblem(await claim(w.workspaceId, w.owner, uuid()), 409, "workspace-exists");
  });

  test("after the owner ends its other master tokens, the earlier ones fail and the key mints no more", async () => {
    const w = await newWorkspace();
    const retry = await json(await claim(w.workspaceId, w.owner, w.key), 201);
    assert.equal((await revoke(w.workspaceId, retry.token, w.owner)).status, 204);
    // Within the document's second; 10 s is a hang guard (a loaded test machine is no measure of the second).
    const refused = await eventually(() => pull(w.workspaceId, w.token, 0), (r) => r.status === 401, 10_000);
    assert.equal(refused.status, 401, "the first master token still works after the owner ended it");
    assert.equal((await pull(w.workspaceId, retry.token, 0)).status, 204, "the calling token must stay valid");
    // Workspace hears of the ended tokens by its own message, not when Sync does: within the same second, so wait for
    // it as well (a full run asked right after Sync refused and got one more 201).
    const again = await eventually(() => claim(w.workspaceId, w.owner, w.key), (r) => r.status === 409, 10_000);
    await assertProblem(again, 409, "workspace-exists");
  });

  test("the key mints tokens only within Workspace:ClaimRetryWindow of the claim", async () => {
    const window = settings["Workspace:ClaimRetryWindow"] * 1000;
    assert.ok(window <= 120_000, `this deployment's retry window (${window} ms) is too long to watch it close`);
    const workspaceId = uuid();
    const owner = uuid();
    const key = uuid();
    const sent = Date.now();
    await json(await claim(workspaceId, owner, key), 201);
    const answered = Date.now();
    for (;;) {
      const retrySent = Date.now();
      const response = await claim(workspaceId, owner, key);
      const retryAnswered = Date.now();
      if (response.status === 201) {
        await response.arrayBuffer();
        assert.ok(retrySent - answered <= window + 1000, "a retry after the window still got a token");
      } else {
        await assertProblem(response, 409, "workspace-exists");
        assert.ok(retryAnswered - sent > window, `refused ${retryAnswered - sent} ms after the claim, within the window`);
        return;
      }
      assert.ok(Date.now() - sent < window + 10_000, "the window never closed");
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  });

  test("a claim without Idempotency-Key, with a blank or over-200-character one, or with empty ids is 400", async () => {
    const body = { workspaceId: uuid(), clientId: uuid() };
    await assertProblem(await call("POST", "/api/workspaces", { json: body }), 400, "invalid-request");
    await assertProblem(await call("POST", "/api/workspaces", { json: body, headers: { "idempotency-key": " " } }), 400, "invalid-request");
    await assertProblem(
      await call("POST", "/api/workspaces", { json: body, headers: { "idempotency-key": "k".repeat(201) } }), 400, "invalid-request");
    const zero = "00000000-0000-0000-0000-000000000000";
    await assertProblem(await claim(zero, uuid(), uuid()), 400, "invalid-request");
    await assertProblem(await claim(uuid(), zero, uuid()), 400, "invalid-request");
    await assertProblem(await claim("not-a-uuid", uuid(), uuid()), 400, "invalid-request");
    // Any string of up to 200 characters is a key, not only a UUID.
    await json(await claim(uuid(), uuid(), "k".repeat(200)), 201);
  });
});
