// docs/protocol.md, "Errors" and "Which error wins".
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { LoroDoc } from "loro-crdt";
import { assertProblem, bytes, call, claim, grant, join, json, newMember, newWorkspace, pull, push, pushed, settings, uploadSnapshot, uuid } from "../protocol.mjs";

describe("§ Errors", () => {
  test("an error is problem+json with type, title, status, detail and code", async () => {
    const w = await newWorkspace();
    const problem = await assertProblem(await push(w.workspaceId, w.token, bytes("x"), { version: "x" }), 400, "invalid-request");
    for (const member of ["type", "title", "status", "detail", "code"]) assert.ok(member in problem, member);
    assert.equal(typeof problem.detail, "string");
  });

  test("a 401 carries WWW-Authenticate: Bearer", async () => {
    const response = await call("GET", `/api/workspaces/${uuid()}/changes`, { token: "not.a.token" });
    assert.equal(response.headers.get("www-authenticate"), "Bearer");
    await assertProblem(response, 401, "unauthorized");
  });

  test("an /api path that matches no route is 404 not-found as problem+json", async () => {
    await assertProblem(await call("GET", "/api/no-such-route"), 404, "not-found");
    await assertProblem(await call("GET", `/api/workspaces/${uuid()}/nothing-here/x`), 404, "not-found");
  });
});

describe("§ Errors: which error wins", () => {
  test("the gateway's body limit answers before the token is looked at", async () => {
    const w = await newWorkspace();
    const big = "x".repeat(settings["Gateway:MaxJsonBodyBytes"] + 1);
    await assertProblem(await call("POST", `/api/workspaces/${w.workspaceId}/tokens`,
      { headers: { "content-type": "application/json" }, body: big }), 413, "payload-too-large");
  });

  test("a malformed workspace id is 400 before the token: none, or a valid one", async () => {
    const w = await newWorkspace();
    await assertProblem(await call("GET", "/api/workspaces/not-a-uuid/changes"), 400, "invalid-request");
    await assertProblem(await call("GET", "/api/workspaces/not-a-uuid/changes", { token: w.token }), 400, "invalid-request");
  });

  test("the token before the route's checks: 401 without one, 403 with a read token, whatever else is wrong", async () => {
    const w = await newWorkspace();
    const reader = await newMember(w.workspaceId, w.token, "read");
    const broken = { key: "not-a-uuid", version: "x" };
    await assertProblem(await push(w.workspaceId, undefined, new Uint8Array(0), broken), 401, "unauthorized");
    await assertProblem(await push(w.workspaceId, reader.token, new Uint8Array(0), broken), 403, "forbidden");
  });

  test("push: the key, then the version header, then its bound, then the body", async () => {
    const w = await newWorkspace();
    const path = `/api/workspaces/${w.workspaceId}/changes`;
    // No key and no version: the key is checked first.
    await assertProblem(await call("POST", path, { token: w.token, body: bytes("x") }), 400, "invalid-request");
    // A key but no version, and an empty body: missing-version.
    await assertProblem(await call("POST", path, { token: w.token, headers: { "idempotency-key": uuid() }, body: new Uint8Array(0) }),
      400, "missing-version");
    // An unreleased version with a body over the limit: unknown-version, before the body is read.
    const max = settings["Sync:MaxSchemaVersion"];
    await assertProblem(await push(w.workspaceId, w.token, new Uint8Array(settings["Sync:MaxChangeBytes"] + 1), { version: max + 1 }),
      400, "unknown-version");
    // Over the size limit and an outdated version: 413, since the version gate comes under the workspace's lock.
    await pushed(w.workspaceId, w.token, bytes("v2"), { version: 2 });
    await assertProblem(await push(w.workspaceId, w.token, new Uint8Array(settings["Sync:MaxChangeBytes"] + 1), { version: 1 }),
      413, "payload-too-large");
    // A broken Loro envelope and an outdated version: 422 first.
    const doc = new LoroDoc();
    doc.getText("t").insert(0, "x");
    doc.commit();
    await assertProblem(await push(w.workspaceId, w.token, doc.export({ mode: "snapshot" }), { version: 1 }), 422, "invalid-document");
  });

  test("push, under the workspace's lock: a known key, then the format, then the version", async () => {
    const w = await newWorkspace();
    const key = uuid();
    await pushed(w.workspaceId, w.token, bytes("opaque"), { key, version: 2 });
    const doc = new LoroDoc();
    doc.getText("t").insert(0, "x");
    doc.commit();
    // The known key with other bytes, of the wrong format and outdated: idempotency-conflict.
    await assertProblem(await push(w.workspaceId, w.token, doc.export({ mode: "update" }), { key, version: 1 }), 409, "idempotency-conflict");
    // A new key, the wrong format and outdated: invalid-document.
    await assertProblem(await push(w.workspaceId, w.token, doc.export({ mode: "update" }), { version: 1 }), 422, "invalid-document");
  });

  test("snapshot: the envelope before the head, the head before the format, the format before an older seq", async () => {
    const w = await newWorkspace();
    await pushed(w.workspaceId, w.token, bytes("1"));
    await pushed(w.workspaceId, w.token, bytes("2"));
    await json(await uploadSnapshot(w.workspaceId, w.token, bytes("snap"), 2), 201);
    const doc = new LoroDoc();
    doc.getText("t").insert(0, "x");
    doc.commit();
    await assertProblem(await uploadSnapshot(w.workspaceId, w.token, doc.export({ mode: "update" }), 9), 422, "invalid-document");
    await assertProblem(await uploadSnapshot(w.workspaceId, w.token, doc.export({ mode: "snapshot" }), 9), 400, "invalid-request");
    await assertProblem(await uploadSnapshot(w.workspaceId, w.token, doc.export({ mode: "snapshot" }), 1), 422, "invalid-document");
    await assertProblem(await uploadSnapshot(w.workspaceId, w.token, bytes("older"), 1), 409, "conflict");
  });

  test("claim: a missing key is 400 even for a claimed id; join: a bad body 400 before an unknown code's 404", async () => {
    const w = await newWorkspace();
    await assertProblem(await call("POST", "/api/workspaces", { json: { workspaceId: w.workspaceId, clientId: uuid() } }), 400, "invalid-request");
    await assertProblem(await claim(w.workspaceId, uuid(), uuid()), 409, "workspace-exists");
    await assertProblem(await join(w.workspaceId, "00000000-0000-0000-0000-000000000000", "unknown"), 400, "invalid-request");
    await assertProblem(await join(w.workspaceId, uuid(), "unknown"), 404, "invite-invalid");
    await assertProblem(await grant(w.workspaceId, w.token, uuid(), "nope"), 400, "invalid-request");
    assert.equal((await pull(w.workspaceId, w.token, 0)).status, 204);
  });
});
