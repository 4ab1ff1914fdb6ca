// A client of SyncEngine written from docs/protocol.md alone: plain fetch, the framing parsed by hand, Server-Sent
// Events read from a fetch body (EventSource cannot send a token). The test files use nothing else, so what they
// need to know is what the document says.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";

/** The gateway, the one public origin: set by the end-to-end tests' ConformanceSuiteTests (or by you). */
export const gateway = (() => {
  const url = process.env.SYNCENGINE_URL;
  if (!url) {
    throw new Error("SYNCENGINE_URL (the gateway's base URL) is not set: run through `dotnet test --project tests/SyncEngine.EndToEnd.Tests` (ConformanceSuiteTests), or set it to a running gateway.");
  }
  return url.replace(/\/$/, "");
})();

/**
 * The deployment's settings that the document names, by their configuration keys: the documented defaults unless
 * SYNCENGINE_SETTINGS (JSON) says the deployment under test changed one.
 */
export const settings = {
  "Sync:MaxChangeBytes": 4 * 1024 * 1024,
  "Sync:MaxSnapshotBytes": 16 * 1024 * 1024,
  "Sync:MaxSchemaVersion": 2,
  "Sync:HeartbeatEvery": 15,
  "Workspace:ClaimRetryWindow": 24 * 3600,
  "Gateway:ClaimsPerMinutePerAddress": 30,
  "Gateway:RateLimit:PermitsPerSecondPerClient": 100,
  "Gateway:RateLimit:BurstPerClient": 200,
  "Gateway:MaxJsonBodyBytes": 64 * 1024,
  "Gateway:MaxRequestBodyBytes": 16 * 1024 * 1024,
  ...JSON.parse(process.env.SYNCENGINE_SETTINGS ?? "{}"),
};

export const uuid = () => randomUUID();

/** One request to the gateway. `json` becomes a JSON body, `body` is sent as it is (bytes for documents). */
export async function call(method, path, { token, headers = {}, json, body, signal } = {}) {
  const all = { ...headers };
  if (token) all.authorization = `Bearer ${token}`;
  if (json !== undefined) {
    all["content-type"] = "application/json";
    body = JSON.stringify(json);
  } else if (body !== undefined && !Object.keys(all).some((h) => h.toLowerCase() === "content-type")) {
    all["content-type"] = "application/octet-stream";
  }
  return fetch(gateway + path, { method, headers: all, body, signal });
}

/** Asserts an RFC 9457 problem with the given status and `code`; returns its members. */
export async function assertProblem(response, status, code) {
  const text = await response.text();
  assert.equal(response.status, status, `expected ${status} ${code}, got ${response.status}: ${text}`);
  assert.match(response.headers.get("content-type") ?? "", /^application\/problem\+json/, `content type of ${text}`);
  const problem = JSON.parse(text);
  assert.equal(problem.code, code, `code of ${text}`);
  assert.equal(problem.status, status, `status member of ${text}`);
  // `detail` is for people (docs/protocol.md, "Errors"): clients branch on status and code only.
  assert.ok(problem.detail === undefined || typeof problem.detail === "string", `detail of ${text}`);
  return problem;
}

export async function json(response, status) {
  const text = await response.text();
  assert.equal(response.status, status, `expected ${status}, got ${response.status}: ${text}`);
  return JSON.parse(text);
}

// ---- claim, grant, join ("Claim a workspace", "Grant access and join") ----

export const claim = (workspaceId, clientId, key) =>
  call("POST", "/api/workspaces", { headers: { "idempotency-key": key }, json: { workspaceId, clientId } });

/** A freshly claimed workspace and its owner's master token. */
export async function newWorkspace() {
  const workspaceId = uuid();
  const owner = uuid();
  const key = uuid();
  const claimed = await json(await claim(workspaceId, owner, key), 201);
  return { workspaceId, owner, key, token: claimed.token, claimed };
}

export const grant = (workspaceId, master, clientId, scope, expiresInSeconds) =>
  call("POST", `/api/workspaces/${workspaceId}/tokens`, {
    token: master,
    json: expiresInSeconds === undefined ? { clientId, scope } : { clientId, scope, expiresInSeconds },
  });

export const join = (workspaceId, clientId, inviteCode, headers = {}) =>
  call("POST", `/api/workspaces/${workspaceId}/join`, { headers, json: { clientId, inviteCode } });

/** A new client granted `scope` that redeemed its invite. */
export async function newMember(workspaceId, master, scope) {
  const clientId = uuid();
  const granted = await json(await grant(workspaceId, master, clientId, scope), 201);
  const joined = await json(await join(workspaceId, clientId, granted.inviteCode), 200);
  return { clientId, token: joined.token, granted, joined };
}

export const revoke = (workspaceId, master, clientId) =>
  call("DELETE", `/api/workspaces/${workspaceId}/tokens/${clientId}`, { token: master });

// ---- push, pull, snapshots ----

/** Push one change; `version` is Sync-Schema-Version, `key` the Idempotency-Key (new per change unless a retry). */
export const push = (workspaceId, token, bytes, { key = uuid(), version = 1, headers = {} } = {}) =>
  call("POST", `/api/workspaces/${workspaceId}/changes`, {
    token,
    headers: { "idempotency-key": key, "sync-schema-version": String(version), ...headers },
    body: bytes,
  });

export async function pushed(workspaceId, token, bytes, options) {
  return (await json(await push(workspaceId, token, bytes, options), 201)).seq;
}

export const uploadSnapshot = (workspaceId, token, bytes, covers, schemaVersion = 1) =>
  call("POST", `/api/workspaces/${workspaceId}/snapshots`,
    { token, headers: { "sync-covers": String(covers), "sync-schema-version": String(schemaVersion) }, body: bytes });

export const FrameKind = { snapshot: 1, change: 2 };

/** The frames of a pull body (docs/protocol.md, "Pull"): kind (1), seq (int64 BE), length (uint32 BE), payload. */
export function parseFrames(bytes) {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const frames = [];
  let at = 0;
  while (at < bytes.length) {
    assert.ok(at + 13 <= bytes.length, `a frame header cut off at byte ${at} of ${bytes.length}`);
    const kind = view.getUint8(at);
    assert.ok(kind === FrameKind.snapshot || kind === FrameKind.change, `unknown frame kind ${kind} at byte ${at}`);
    const seq = view.getBigInt64(at + 1, false);
    const length = view.getUint32(at + 9, false);
    assert.ok(at + 13 + length <= bytes.length, `a payload cut off at byte ${at}`);
    frames.push({ kind, seq: Number(seq), payload: bytes.slice(at + 13, at + 13 + length) });
    at += 13 + length;
  }
  return frames;
}

/** A pull: status, the two headers every answer carries, the raw body and its frames. */
export async function pull(workspaceId, token, after) {
  const query = after === undefined ? "" : `?after=${after}`;
  const response = await call("GET", `/api/workspaces/${workspaceId}/changes${query}`, { token });
  const body = new Uint8Array(await response.arrayBuffer());
  return {
    status: response.status,
    headers: response.headers,
    head: Number(response.headers.get("sync-head")),
    version: Number(response.headers.get("sync-schema-version")),
    body,
    frames: response.status === 200 ? parseFrames(body) : [],
  };
}

export const bytes = (text) => new TextEncoder().encode(text);
export const text = (payload) => new TextDecoder().decode(payload);

// ---- live events ----

/**
 * A Server-Sent Events stream read from a fetch body, as a browser app must (EventSource sends no Authorization):
 * the WHATWG event-stream rules — lines, `:` comments, fields, a blank line dispatches.
 */
export async function openEvents(workspaceId, token, { lastEventId } = {}) {
  const abort = new AbortController();
  const headers = { accept: "text/event-stream" };
  if (lastEventId !== undefined) headers["last-event-id"] = String(lastEventId);
  const response = await call("GET", `/api/workspaces/${workspaceId}/events`, { token, headers, signal: abort.signal });
  const received = []; // {event, data, id} and {comment} and {retry}
  let ended = false;
  let wake = () => {};
  const reading = (async () => {
    if (response.status !== 200) return;
    const decoder = new TextDecoder();
    let buffer = "";
    let event = "";
    let data = [];
    let id;
    try {
      for await (const chunk of response.body) {
        buffer += decoder.decode(chunk, { stream: true });
        let newline;
        while ((newline = buffer.search(/\r\n|\r|\n/)) >= 0) {
          const line = buffer.slice(0, newline);
          buffer = buffer.slice(newline + (buffer.startsWith("\r\n", newline) ? 2 : 1));
          if (line === "") {
            if (data.length > 0 || event !== "") received.push({ event: event || "message", data: data.join("\n"), id });
            event = "";
            data = [];
            id = undefined;
          } else if (line.startsWith(":")) {
            received.push({ comment: line.slice(1).trim() });
          } else {
            const colon = line.indexOf(":");
            const field = colon < 0 ? line : line.slice(0, colon);
            const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
            if (field === "event") event = value;
            else if (field === "data") data.push(value);
            else if (field === "id") id = value;
            else if (field === "retry") received.push({ retry: Number(value) });
          }
          wake();
        }
      }
    } catch (error) {
      if (error.name !== "AbortError") throw error;
    } finally {
      ended = true;
      wake();
    }
  })();
  return {
    response,
    received,
    get ended() {
      return ended;
    },
    /** Waits until `predicate(received)` holds or the deadline passes; returns whether it held. */
    async until(predicate, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      while (!predicate(received, ended)) {
        if (ended || Date.now() >= deadline) return predicate(received, ended);
        await new Promise((resolve) => {
          wake = resolve;
          setTimeout(resolve, Math.max(0, Math.min(250, deadline - Date.now())));
        });
      }
      return true;
    },
    heads: () => received.filter((e) => e.event === "head"),
    async close() {
      abort.abort();
      await reading.catch(() => {});
    },
  };
}

/** Polls `probe` until `done(result)` or the deadline: for effects the document bounds in time. */
export async function eventually(probe, done, timeoutMs, every = 100) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const result = await probe();
    if (done(result) || Date.now() >= deadline) return result;
    await new Promise((resolve) => setTimeout(resolve, every));
  }
}

// ---- the realtime channel ----

/** A message as the document frames it: [header length: uint16 BE][header JSON][payload]. */
export function socketMessage(header, payload = new Uint8Array()) {
  const json = new TextEncoder().encode(typeof header === "string" ? header : JSON.stringify(header));
  const message = new Uint8Array(2 + json.length + payload.length);
  new DataView(message.buffer).setUint16(0, json.length, false);
  message.set(json, 2);
  message.set(payload, 2 + json.length);
  return message;
}

/**
 * A WebSocket to GET /api/sync with the subprotocol syncengine.v1, as the platform's WebSocket opens it. Every
 * message received is kept in order as {type, header, headerText, payload, raw}.
 */
export async function openSocket() {
  const url = gateway.replace(/^http/, "ws") + "/api/sync";
  const socket = new WebSocket(url, "syncengine.v1");
  socket.binaryType = "arraybuffer";
  const received = [];
  let closed;
  let wake = () => {};
  const closing = new Promise((resolve) => {
    socket.onclose = (event) => {
      closed = { code: event.code, reason: event.reason };
      wake();
      resolve(closed);
    };
  });
  socket.onmessage = (event) => {
    const raw = new Uint8Array(event.data);
    const length = new DataView(event.data).getUint16(0, false);
    const headerText = new TextDecoder().decode(raw.subarray(2, 2 + length));
    const header = JSON.parse(headerText);
    received.push({ type: header.type, header, headerText, payload: raw.slice(2 + length), raw });
    wake();
  };
  await new Promise((resolve, reject) => {
    socket.onopen = resolve;
    socket.onerror = () => reject(new Error(`could not open ${url}`));
  });
  let taken = 0;
  return {
    socket,
    received,
    closing,
    send: (header, payload) => socket.send(socketMessage(header, payload)),
    /** The next message (after those already taken) matching `predicate`, or undefined by the deadline or close. */
    async next(predicate = () => true, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        while (taken < received.length) {
          const message = received[taken++];
          if (predicate(message)) return message;
        }
        if (closed || Date.now() >= deadline) return undefined;
        await new Promise((resolve) => {
          wake = resolve;
          setTimeout(resolve, Math.max(0, Math.min(250, deadline - Date.now())));
        });
      }
    },
    close() {
      socket.close();
      return closing;
    },
  };
}
