// docs/protocol.md, "Limits": the published rates, as token buckets, and their 429.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import { assertProblem, call, claim, newMember, newWorkspace, settings, uuid } from "../protocol.mjs";

/** Keeps a flood's connections few and reused. */
const agent = new http.Agent({ keepAlive: true, maxSockets: 50 });

/** A request from another loopback address straight to the gateway, so per-address budgets are this test's own. */
function fromAddress(localAddress, method, path, headers, body) {
  const direct = process.env.SYNCENGINE_GATEWAY_DIRECT;
  assert.ok(direct, "SYNCENGINE_GATEWAY_DIRECT (the gateway process's own URL) is not set");
  return new Promise((resolve, reject) => {
    const request = http.request(new URL(path, direct), { method, headers, localAddress, agent }, (response) => {
      let text = "";
      response.setEncoding("utf8");
      response.on("data", (chunk) => (text += chunk));
      response.on("end", () => resolve({ status: response.statusCode, headers: response.headers, text }));
    });
    request.on("error", reject);
    request.end(body);
  });
}

describe("§ Limits", () => {
  test("per client: past the burst a client's requests are 429 rate-limited with Retry-After; another client is not", async () => {
    const w = await newWorkspace();
    const other = await newMember(w.workspaceId, w.token, "read");
    const rate = settings["Gateway:RateLimit:PermitsPerSecondPerClient"];
    const burst = settings["Gateway:RateLimit:BurstPerClient"];
    // A route the gateway answers itself (404), so the flood costs no service anything.
    const started = Date.now();
    const statuses = [];
    let limited;
    while (!limited && statuses.length < 4 * burst) {
      const wave = await Promise.all(Array.from({ length: 50 }, () => call("GET", "/api/no-such-route", { token: w.token })));
      for (const response of wave) {
        statuses.push(response.status);
        if (response.status === 429 && !limited) limited = response;
        else await response.arrayBuffer();
      }
    }
    const elapsed = (Date.now() - started) / 1000;
    assert.ok(limited, `${statuses.length} requests in ${elapsed} s, none limited`);
    const passed = statuses.filter((s) => s === 404).length;
    assert.ok(passed >= burst, `only ${passed} passed before the first 429: the burst is ${burst}`);
    assert.ok(passed <= burst + rate * elapsed + 50, `${passed} passed in ${elapsed} s`);
    const retryAfter = Number(limited.headers.get("retry-after"));
    assert.ok(retryAfter >= 1, `Retry-After ${limited.headers.get("retry-after")}`);
    await assertProblem(limited, 429, "rate-limited");
    // Another client of the same workspace, from the same address, has its own bucket.
    await assertProblem(await call("GET", "/api/no-such-route", { token: other.token }), 404, "not-found");
  });

  test("requests without a validated token are one client per address: the per-client rate, not the address's", async () => {
    const rate = settings["Gateway:RateLimit:PermitsPerSecondPerClient"];
    const burst = settings["Gateway:RateLimit:BurstPerClient"];
    const started = Date.now();
    const statuses = [];
    while (!statuses.includes(429) && statuses.length < 4 * burst) {
      // No token, or an invented one each time: minting headers buys no bucket of its own.
      const wave = await Promise.all(Array.from({ length: 50 }, (_, i) => fromAddress("127.0.0.78", "GET", "/api/no-such-route",
        i % 2 === 0 ? {} : { authorization: `Bearer invented-${uuid()}` })));
      statuses.push(...wave.map((r) => r.status));
    }
    const elapsed = (Date.now() - started) / 1000;
    assert.ok(statuses.includes(429), `${statuses.length} anonymous requests in ${elapsed} s, none limited`);
    const passed = statuses.filter((s) => s === 404).length;
    assert.ok(passed >= burst && passed <= burst + rate * elapsed + 50, `${passed} passed in ${elapsed} s`);
  });

  test("claims per address: every claim counts, valid or not; past the budget they are 429 and store nothing", async () => {
    const perMinute = settings["Gateway:ClaimsPerMinutePerAddress"];
    const address = "127.0.0.77";
    const json = { "content-type": "application/json" };
    for (let i = 0; i < perMinute; i++) {
      const spent = await fromAddress(address, "POST", "/api/workspaces", json, "{}");
      assert.ok(spent.status === 400 || spent.status === 429, `${spent.status} ${spent.text}`);
    }
    // The bucket refills a little while it is spent: real claims until one is refused.
    for (let attempt = 0; attempt < perMinute; attempt++) {
      const workspaceId = uuid();
      const response = await fromAddress(address, "POST", "/api/workspaces", { ...json, "idempotency-key": uuid() },
        JSON.stringify({ workspaceId, clientId: uuid() }));
      if (response.status === 201) continue;
      assert.equal(response.status, 429, response.text);
      assert.match(response.headers["content-type"], /^application\/problem\+json/);
      assert.equal(JSON.parse(response.text).code, "rate-limited");
      const retryAfter = Number(response.headers["retry-after"]);
      assert.ok(retryAfter >= 1 && retryAfter <= 60, `Retry-After ${response.headers["retry-after"]}`);
      // Nothing stored: the id is still free for anyone.
      assert.equal((await claim(workspaceId, uuid(), uuid())).status, 201);
      return;
    }
    assert.fail(`${2 * perMinute} claims from one address, none refused`);
  });
});
