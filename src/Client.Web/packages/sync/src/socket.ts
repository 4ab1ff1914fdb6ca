import type { ProblemCode } from "./api/schemas.js";
import { ApiProblem } from "./problem.js";

/** The realtime channel's WebSocket subprotocol (docs/protocol.md, "Realtime channel"). */
export const subprotocol = "syncengine.v1";

/** A message of the realtime channel: its header (a JSON object with a `type`) and its payload. */
export interface SocketMessage {
  type: string;
  header: Record<string, unknown>;
  payload: Uint8Array;
}

/** One binary message: [header length: uint16 big-endian][header: UTF-8 JSON][payload]. */
export function encodeMessage(header: Record<string, unknown>, payload: Uint8Array = new Uint8Array()): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(header));
  if (json.byteLength > 0xffff) {
    throw new Error("A socket message's header is at most 65535 bytes.");
  }
  const message = new Uint8Array(2 + json.byteLength + payload.byteLength);
  new DataView(message.buffer).setUint16(0, json.byteLength, false);
  message.set(json, 2);
  message.set(payload, 2 + json.byteLength);
  return message;
}

/** Reads a server's message; throws on one that is not framed as the protocol says rather than guessing. */
export function decodeMessage(data: ArrayBuffer): SocketMessage {
  const bytes = new Uint8Array(data);
  if (bytes.byteLength < 2) {
    throw new Error("A socket message shorter than its header's length.");
  }
  const length = new DataView(data).getUint16(0, false);
  if (bytes.byteLength < 2 + length) {
    throw new Error(`A socket message's header says ${length} bytes; ${bytes.byteLength - 2} follow.`);
  }
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(2, 2 + length))) as unknown;
  if (typeof header !== "object" || header === null || typeof (header as { type?: unknown }).type !== "string") {
    throw new Error("A socket message's header is not an object with a type.");
  }
  return { type: (header as { type: string }).type, header: header as Record<string, unknown>, payload: bytes.slice(2 + length) };
}

/** An `error` message as the ApiProblem the HTTP route would have thrown: same status, code and members. */
export function problemOf(header: Record<string, unknown>): ApiProblem {
  const number = (name: string) => (typeof header[name] === "number" ? (header[name] as number) : undefined);
  const status = number("status") ?? 400;
  return new ApiProblem(
    status,
    typeof header.code === "string" ? (header.code as ProblemCode) : `http-${status}`,
    typeof header.detail === "string" ? header.detail : "",
    number("currentVersion"),
    undefined,
    number("maxSchemaVersion"),
    typeof header.quota === "string" && number("limit") !== undefined && number("used") !== undefined
      ? { name: header.quota, limit: number("limit")!, used: number("used")! }
      : undefined,
  );
}

/** The socket's address for an API at `baseUrl` ("" for the page's own origin, resolved against `origin`). */
export function socketUrl(baseUrl: string, origin: string): string {
  const url = new URL("/api/sync", baseUrl || origin);
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  return url.toString();
}
