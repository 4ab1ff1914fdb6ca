import { describe, expect, it } from "vitest";
import { decodeMessage, encodeMessage, problemOf, socketUrl } from "../src/socket.js";

const workspace = "0b7e4a52-5d1e-4c11-9a43-2f1d3c9e8a10";

function hex(bytes: Uint8Array): string {
  return [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
}

describe("socket messages (docs/protocol.md, Realtime channel)", () => {
  it("encodes the worked example's push byte for byte", () => {
    const push = encodeMessage(
      { type: "push", ref: 1, workspace, key: "5f0c8d8e-2a47-4b4e-9a6c-3f1b2d7e9c01", version: 1 },
      new Uint8Array([0x21]),
    );
    expect(hex(push.subarray(0, 2))).toBe("0083");
    expect(push.byteLength).toBe(2 + 131 + 1);
    expect(push[push.byteLength - 1]).toBe(0x21);
  });

  it("decodes the worked example's changes message with its frame as payload", () => {
    const header = new TextEncoder().encode(`{"type":"changes","workspace":"${workspace}","head":6}`);
    const frame = [2, 0, 0, 0, 0, 0, 0, 0, 6, 0, 0, 0, 1, 0x3f];
    const bytes = new Uint8Array([0x00, 0x4e, ...header, ...frame]);
    const message = decodeMessage(bytes.buffer);
    expect(message.type).toBe("changes");
    expect(message.header.head).toBe(6);
    expect([...message.payload]).toEqual(frame);
  });

  it("refuses a message that is not framed as the protocol says", () => {
    expect(() => decodeMessage(new Uint8Array([0]).buffer)).toThrow();
    expect(() => decodeMessage(new Uint8Array([0, 9, 123]).buffer)).toThrow();
    expect(() => decodeMessage(encodeMessage({ notype: 1 }).slice().buffer)).toThrow();
  });

  it("turns an error into the problem the HTTP route would have thrown", () => {
    const problem = problemOf({ type: "error", status: 403, code: "quota-exceeded", detail: "full", quota: "maxWorkspaceBytes", limit: 10, used: 9 });
    expect([problem.status, problem.code, problem.message]).toEqual([403, "quota-exceeded", "full"]);
    expect(problem.quota).toEqual({ name: "maxWorkspaceBytes", limit: 10, used: 9 });
    expect(problemOf({ type: "error", status: 409, code: "outdated-version", currentVersion: 3 }).currentVersion).toBe(3);
  });

  it("addresses the socket on the API's origin, ws or wss as the page", () => {
    expect(socketUrl("", "http://localhost:8080")).toBe("ws://localhost:8080/api/sync");
    expect(socketUrl("https://sync.example.com", "http://localhost:5173")).toBe("wss://sync.example.com/api/sync");
  });
});
