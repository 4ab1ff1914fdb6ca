import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { decodeMessage, encodeMessage } from "../src/socket.js";
import type { SyncStore } from "../src/store.js";
import type { LiveStreams } from "../src/worker/live.js";
import { SocketLive, type SocketCallbacks } from "../src/worker/socket-live.js";

/** The browser's WebSocket as far as SocketLive uses it: what it sends is kept, what the server says is handed in. */
class FakeWebSocket {
  static readonly CONNECTING = 0;
  static readonly OPEN = 1;
  static readonly CLOSING = 2;
  static readonly CLOSED = 3;
  static last: FakeWebSocket | undefined;
  readyState = FakeWebSocket.CONNECTING;
  binaryType = "blob";
  readonly sent: Uint8Array[] = [];
  onopen?: () => void;
  onmessage?: (event: { data: ArrayBuffer }) => void;
  onclose?: () => void;
  constructor(readonly url: string, readonly protocol: string) {
    FakeWebSocket.last = this;
  }
  send(data: Uint8Array) {
    this.sent.push(data);
  }
  close() {
    this.readyState = FakeWebSocket.CLOSED;
    this.onclose?.();
  }
  open() {
    this.readyState = FakeWebSocket.OPEN;
    this.onopen?.();
  }
  serverSays(header: Record<string, unknown>, payload?: Uint8Array) {
    const message = encodeMessage(header, payload);
    this.onmessage?.({ data: message.slice().buffer });
  }
  sentHeaders() {
    return this.sent.map((m) => decodeMessage(m.slice().buffer).header);
  }
}

const workspaceId = "0b7e4a52-5d1e-4c11-9a43-2f1d3c9e8a10";
const store = { committed: { get: async () => ({ seq: 4 }) } } as unknown as SyncStore;
const fallback = { watch: () => true, listen: () => {}, end: () => {}, stop: () => {} } as unknown as LiveStreams;

function live(apply: SocketCallbacks["apply"] = async () => true) {
  const callbacks: SocketCallbacks = { sync: vi.fn(), accessLost: vi.fn(async () => {}), apply, transport: vi.fn() };
  const socketLive = new SocketLive(store, "http://localhost:8080", 1, callbacks, fallback);
  return { socketLive, callbacks, socket: FakeWebSocket.last! };
}

const workspace = { workspaceId, token: "t", scope: "read_write" } as never;
const flush = () => new Promise((resolve) => setTimeout(resolve, 0));

/**
 * Opens the socket, follows the workspace, and has the server confirm the subscription with its `head`; `settle` lets
 * pending work run (under fake timers, by advancing them).
 */
async function confirmed(socketLive: SocketLive, socket: FakeWebSocket, head = 4, settle: () => Promise<unknown> = flush): Promise<void> {
  socket.open();
  socketLive.watch(workspaceId, true);
  socketLive.listen(workspace);
  await settle();
  socket.serverSays({ type: "subscribed", ref: 1, workspace: workspaceId, head, schemaVersion: 1 });
  await settle();
}

describe("SocketLive", () => {
  beforeEach(() => {
    vi.stubGlobal("WebSocket", FakeWebSocket);
    vi.stubGlobal("self", { location: { origin: "http://localhost:8080" } });
  });
  afterEach(() => vi.unstubAllGlobals());

  it("subscribes an open workspace with its token and the device's cursor", async () => {
    const { socketLive, callbacks, socket } = live();
    expect(socket.url).toBe("ws://localhost:8080/api/sync");
    expect(socket.protocol).toBe("syncengine.v1");
    socket.open();
    expect(callbacks.transport).toHaveBeenCalledWith("socket");
    socketLive.watch(workspaceId, true);
    socketLive.listen(workspace);
    await flush();
    expect(socket.sentHeaders()).toEqual([{ type: "subscribe", ref: 1, workspace: workspaceId, token: "t", after: 4 }]);
    socketLive.stop();
  });

  it("has the round pull when the server's head is below the cursor it subscribed with, and then subscribes anew", async () => {
    const { socketLive, callbacks, socket } = live();
    // The device's cursor is 4 (the store above); the server's log ends at 2.
    await confirmed(socketLive, socket, 2);

    expect(callbacks.sync).toHaveBeenCalledWith(workspaceId);
    // Not confirmed: pushes keep to HTTP, and the round's listen subscribes again.
    expect(socketLive.push("t", workspaceId, new Uint8Array([1]), "k", 1)).toBeUndefined();
    socketLive.listen(workspace);
    await flush();
    expect(socket.sentHeaders().filter((h) => h.type === "subscribe").map((h) => h.ref)).toEqual([1, 2]);
  });

  it("pushes over HTTP until the subscription is confirmed, then over the socket, settled by its ack", async () => {
    const { socketLive, socket } = live();
    socket.open();
    socketLive.watch(workspaceId, true);
    socketLive.listen(workspace);
    await flush();
    expect(socketLive.push("t", workspaceId, new Uint8Array([1]), "k", 1)).toBeUndefined();
    socket.serverSays({ type: "subscribed", ref: 1, workspace: workspaceId, head: 4, schemaVersion: 1 });
    await flush();
    expect(socketLive.push("other-token", workspaceId, new Uint8Array([1]), "k", 1)).toBeUndefined();
    const pushed = socketLive.push("t", workspaceId, new Uint8Array([7]), "key", 2)!;
    const message = decodeMessage(socket.sent.at(-1)!.slice().buffer);
    expect(message.header).toEqual({ type: "push", ref: 2, workspace: workspaceId, key: "key", version: 2 });
    expect([...message.payload]).toEqual([7]);
    socket.serverSays({ type: "ack", ref: 2, workspace: workspaceId, seq: 5, replayed: false, cursor: 5 });
    await expect(pushed).resolves.toBe(5);
    socketLive.stop();
  });

  it("settles a push's answer at once, ahead of changes still waiting to be committed", async () => {
    let release: () => void = () => {};
    const blocked = new Promise<void>((resolve) => (release = resolve));
    const { socketLive, socket } = live(async () => {
      await blocked; // committing waits for the workspace's lock, which the round awaiting the push holds
      return true;
    });
    await confirmed(socketLive, socket);
    const pushed = socketLive.push("t", workspaceId, new Uint8Array([1]), "k", 1)!;
    socket.serverSays({ type: "changes", workspace: workspaceId, head: 5 }, new Uint8Array([2, 0, 0, 0, 0, 0, 0, 0, 5, 0, 0, 0, 1, 9]));
    socket.serverSays({ type: "error", ref: 2, workspace: workspaceId, status: 409, code: "outdated-version", detail: "d", currentVersion: 3 });
    await expect(pushed).rejects.toMatchObject({ status: 409, code: "outdated-version", currentVersion: 3 });
    release();
    socketLive.stop();
  });

  it("fails waiting pushes as a network failure when the device goes offline, and closes the socket", async () => {
    const { socketLive, socket } = live();
    await confirmed(socketLive, socket);
    const pushed = socketLive.push("t", workspaceId, new Uint8Array([1]), "k", 1)!;
    socketLive.network(false);
    await expect(pushed).rejects.toBeInstanceOf(TypeError);
    expect(socket.readyState).toBe(FakeWebSocket.CLOSED);
    socketLive.stop();
  });

  it("closes a socket that heard nothing for 45 s, then reconnects and subscribes again from the stored cursor", async () => {
    vi.useFakeTimers();
    try {
      const { socketLive, socket } = live();
      await confirmed(socketLive, socket, 4, () => vi.advanceTimersByTimeAsync(0));
      await vi.advanceTimersByTimeAsync(30_000);
      // A heartbeat (the server's come every 15 s) keeps it open for another 45 s.
      socket.serverSays({ type: "heartbeat" });
      await vi.advanceTimersByTimeAsync(40_000);
      expect(socket.readyState).toBe(FakeWebSocket.OPEN);
      await vi.advanceTimersByTimeAsync(20_000);
      expect(socket.readyState).toBe(FakeWebSocket.CLOSED);

      // The first reconnect comes within a second; the new socket follows the workspace from the device's cursor.
      await vi.advanceTimersByTimeAsync(1_000);
      const again = FakeWebSocket.last!;
      expect(again).not.toBe(socket);
      again.open();
      await vi.advanceTimersByTimeAsync(0);
      expect(again.sentHeaders()).toEqual([expect.objectContaining({ type: "subscribe", workspace: workspaceId, token: "t", after: 4 })]);
      socketLive.stop();
    } finally {
      vi.useRealTimers();
    }
  });

  it("after an open socket closes (the server's 4008 or 1001 alike), reconnects and subscribes from the cursor", async () => {
    vi.useFakeTimers();
    try {
      const { socketLive, socket, callbacks } = live();
      await confirmed(socketLive, socket, 4, () => vi.advanceTimersByTimeAsync(0));
      socket.close();
      // Meanwhile a sync round pulls what the socket would have brought.
      expect(callbacks.sync).toHaveBeenCalledWith(workspaceId);
      await vi.advanceTimersByTimeAsync(1_000);
      const again = FakeWebSocket.last!;
      expect(again).not.toBe(socket);
      again.open();
      await vi.advanceTimersByTimeAsync(0);
      expect(again.sentHeaders()).toEqual([expect.objectContaining({ type: "subscribe", workspace: workspaceId, after: 4 })]);
      expect(callbacks.transport).not.toHaveBeenCalledWith("http");
      socketLive.stop();
    } finally {
      vi.useRealTimers();
    }
  });

  it("falls back to event streams for good when the socket never opens", () => {
    const { callbacks, socket, socketLive } = live();
    socket.close();
    expect(callbacks.transport).toHaveBeenCalledWith("http");
    socketLive.stop();
  });
});
