// docs/protocol.md, "Grant access and join".
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { assertProblem, bytes, call, eventually, grant, join, json, newMember, newWorkspace, pull, push, revoke, uuid } from "../protocol.mjs";

describe("§ Grant access and join", () => {
  test("a grant is 201 with every field the document lists, and Location", async () => {
    const w = await newWorkspace();
    const clientId = uuid();
    const before = Date.now();
    const response = await grant(w.workspaceId, w.token, clientId, "read");
    assert.equal(response.headers.get("location"), `/api/workspaces/${w.workspaceId}/tokens`);
    const body = await json(response, 201);
    assert.deepEqual(Object.keys(body).sort(),
      ["clientId", "expiresAt", "inviteCode", "inviteExpiresAt", "joinPath", "scope", "tokenId"]);
    assert.equal(body.clientId, clientId);
    assert.equal(body.scope, "read");
    assert.equal(body.expiresAt, null);
    assert.match(body.inviteCode, /^[A-Za-z0-9_-]{43}$/, "256 bits in base64url");
    assert.equal(body.joinPath, `/join/${w.workspaceId}#${body.inviteCode}`);
    const sevenDays = 7 * 24 * 3600 * 1000;
    const inviteExpires = Date.parse(body.inviteExpiresAt);
    assert.ok(inviteExpires >= before + sevenDays - 5000 && inviteExpires <= Date.now() + sevenDays + 5000, body.inviteExpiresAt);
  });

  test("with expiresInSeconds the token's expiry is set and the invite expires no later", async () => {
    const w = await newWorkspace();
    const body = await json(await grant(w.workspaceId, w.token, uuid(), "read_write", 3600), 201);
    const expires = Date.parse(body.expiresAt);
    assert.ok(Math.abs(expires - (Date.now() + 3600_000)) < 60_000, body.expiresAt);
    assert.equal(Date.parse(body.inviteExpiresAt), expires);
  });

  test("join needs no token and answers 200 with token, tokenId (the grant's), scope and expiresAt", async () => {
    const w = await newWorkspace();
    const clientId = uuid();
    const granted = await json(await grant(w.workspaceId, w.token, clientId, "read_write", 3600), 201);
    const joined = await json(await join(w.workspaceId, clientId, granted.inviteCode), 200);
    assert.deepEqual(Object.keys(joined).sort(), ["expiresAt", "scope", "token", "tokenId"]);
    assert.equal(joined.tokenId, granted.tokenId);
    assert.equal(joined.scope, "read_write");
    assert.equal(joined.expiresAt, granted.expiresAt);
    assert.equal((await push(w.workspaceId, joined.token, bytes("x"))).status, 201);
  });

  test("an Authorization header sent to join is ignored: a broken one, or another workspace's token", async () => {
    const w = await newWorkspace();
    const other = await newWorkspace();
    for (const authorization of ["Bearer not.a.token", `Bearer ${other.token}`, `Bearer ${w.token}`]) {
      const clientId = uuid();
      const granted = await json(await grant(w.workspaceId, w.token, clientId, "read"), 201);
      const joined = await json(await join(w.workspaceId, clientId, granted.inviteCode, { authorization }), 200);
      assert.equal((await pull(w.workspaceId, joined.token, 0)).status, 204);
    }
  });

  test("404 invite-invalid: an unknown code, another workspace's code, a code granted to another client", async () => {
    const w = await newWorkspace();
    const other = await newWorkspace();
    const clientId = uuid();
    const granted = await json(await grant(w.workspaceId, w.token, clientId, "read"), 201);
    await assertProblem(await join(w.workspaceId, clientId, "A".repeat(43)), 404, "invite-invalid");
    await assertProblem(await join(other.workspaceId, clientId, granted.inviteCode), 404, "invite-invalid");
    await assertProblem(await join(w.workspaceId, uuid(), granted.inviteCode), 404, "invite-invalid");
    // None of those used it up.
    await json(await join(w.workspaceId, clientId, granted.inviteCode), 200);
  });

  test("410 invite-invalid: an invite used already, revoked, or expired", async () => {
    const w = await newWorkspace();
    const used = await newMember(w.workspaceId, w.token, "read");
    await assertProblem(await join(w.workspaceId, used.clientId, used.granted.inviteCode), 410, "invite-invalid");

    const revokedClient = uuid();
    const revoked = await json(await grant(w.workspaceId, w.token, revokedClient, "read"), 201);
    assert.equal((await revoke(w.workspaceId, w.token, revokedClient)).status, 204);
    await assertProblem(await join(w.workspaceId, revokedClient, revoked.inviteCode), 410, "invite-invalid");

    // An invite expires with its grant (expiresInSeconds: 1); the owner's token list shows when it has.
    const expiringClient = uuid();
    const expiring = await json(await grant(w.workspaceId, w.token, expiringClient, "read", 1), 201);
    const list = await eventually(
      async () => json(await call("GET", `/api/workspaces/${w.workspaceId}/tokens`, { token: w.token }), 200),
      (tokens) => tokens.find((t) => t.tokenId === expiring.tokenId)?.status === "expired", 10_000);
    assert.equal(list.find((t) => t.tokenId === expiring.tokenId)?.status, "expired");
    await assertProblem(await join(w.workspaceId, expiringClient, expiring.inviteCode), 410, "invite-invalid");
  });

  test("a grant needs the master token and a valid body; the owner cannot grant itself", async () => {
    const w = await newWorkspace();
    const member = await newMember(w.workspaceId, w.token, "read_write");
    await assertProblem(await grant(w.workspaceId, member.token, uuid(), "read"), 403, "forbidden");
    await assertProblem(await grant(w.workspaceId, undefined, uuid(), "read"), 401, "unauthorized");
    await assertProblem(await grant(w.workspaceId, w.token, w.owner, "read"), 400, "invalid-request");
    await assertProblem(await grant(w.workspaceId, w.token, uuid(), "admin"), 400, "invalid-request");
    await assertProblem(await grant(w.workspaceId, w.token, uuid(), "read", 0), 400, "invalid-request");
    await assertProblem(await join(w.workspaceId, uuid(), ""), 400, "invalid-request");
  });

  test("the owner's token list shows every grant and master token, never a token or a code", async () => {
    const w = await newWorkspace();
    const member = await newMember(w.workspaceId, w.token, "read");
    const tokens = await json(await call("GET", `/api/workspaces/${w.workspaceId}/tokens`, { token: w.token }), 200);
    assert.equal(tokens.length, 2);
    for (const t of tokens) {
      assert.deepEqual(Object.keys(t).sort(), ["clientId", "expiresAt", "grantedAt", "inviteExpiresAt", "isMaster",
        "issuedAt", "revokedAt", "scope", "status", "tokenId"]);
      assert.equal(t.status, "active");
    }
    assert.ok(tokens.some((t) => t.isMaster && t.clientId === w.owner));
    assert.ok(tokens.some((t) => !t.isMaster && t.clientId === member.clientId && t.tokenId === member.joined.tokenId));
    const text = JSON.stringify(tokens);
    assert.ok(!text.includes(member.token) && !text.includes(member.granted.inviteCode));
  });
});
