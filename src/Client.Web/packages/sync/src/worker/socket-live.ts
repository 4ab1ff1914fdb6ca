import { backoffDelay } from "../backoff.js";
import { readFrames, type Frame } from "../frames.js";
import { decodeMessage, encodeMessage, problemOf, socketUrl, subprotocol, type SocketMessage } from "../socket.js";
import type { SyncStore, WorkspaceRecord } from "../store.js";
import { retryDelay, syncState, type LiveAnswer } from "../sync-state.js";
import type { LiveCallbacks, LiveStreams } from "./live.js";

export interface SocketCallbacks extends LiveCallbacks {
  /** A `changes` message: frames after the subscription's cursor, to commit; false when they did not follow it. */
  apply: (workspaceId: string, frames: Frame[]) => Promise<boolean>;
  /** Which transport carries the live changes now: the socket, or HTTP with event streams after it could not open. */
  transport: (transport: "socket" | "http") => void;
}

/** A socket that has heard nothing for this long (three heartbeats) is taken for dead and replaced. */
const silenceMs = 45_000;

/**
 * The live side of the sync over the realtime channel (docs/protocol.md, "Realtime channel"): one WebSocket for every
 * workspace a page has open, each subscribed with its token and the device's cursor; changes arrive with their bytes
 * and are committed at once (no event-then-pull). If the socket cannot be opened at all (a proxy without WebSockets,
 * say), the worker falls back to event streams for good (`fallback`). A push goes over the socket when its workspace
 * is subscribed there with the push's token ({@link push}), else over HTTP; its answer is the same either way.
 */
export class SocketLive {
  private socket: WebSocket | undefined;
  private everOpened = false;
  private useFallback = false;
  private stopped = false;
  private failures = 0;
  private nextRef = 1;
  private lastHeard = Date.now();
  private reconnect: ReturnType<typeof setTimeout> | undefined;
  private readonly watched = new Map<string, number>();
  /** The token each listened workspace subscribes with. */
  private readonly wanted = new Map<string, string>();
  /** Subscriptions sent on the current socket: the workspace's subscribe ref and token. */
  private readonly subscribed = new Map<string, { ref: number; token: string; after: number }>();
  private readonly failuresOf = new Map<string, number>();
  /** Workspaces whose current subscription the server confirmed (`subscribed`): pushes may go over the socket. */
  private readonly confirmed = new Set<string>();
  /** Pushes sent on the socket, by ref, until their `ack` or `error`. */
  private readonly pushes = new Map<number, { resolve: (seq: number) => void; reject: (error: unknown) => void; timer: ReturnType<typeof setTimeout> }>();
  /** Messages are handled one at a time, in the order they came: a workspace's changes must commit in seq order. */
  private handling: Promise<void> = Promise.resolve();
  private readonly watchdog: ReturnType<typeof setInterval>;

  constructor(
    private readonly store: SyncStore,
    private readonly baseUrl: string,
    private readonly appVersion: number,
    private readonly on: SocketCallbacks,
    private readonly fallback: LiveStreams,
  ) {
    this.watchdog = setInterval(() => {
      if (this.socket?.readyState === WebSocket.OPEN && Date.now() - this.lastHeard > silenceMs) this.socket.close();
    }, silenceMs / 3);
    this.connect();
  }

  /** A page opened (or closed) a workspace; true while any page has it open. */
  watch(workspaceId: string, on: boolean): boolean {
    this.fallback.watch(workspaceId, on);
    const count = (this.watched.get(workspaceId) ?? 0) + (on ? 1 : -1);
    if (count > 0) {
      this.watched.set(workspaceId, count);
      return true;
    }
    this.watched.delete(workspaceId);
    this.forget(workspaceId);
    return false;
  }

  /** Follows a watched workspace with its current token, unless it already does with that token. */
  listen(workspace: WorkspaceRecord): void {
    if (this.useFallback) {
      this.fallback.listen(workspace);
      return;
    }
    const { workspaceId, token } = workspace;
    if (this.stopped || !token || !this.watched.has(workspaceId) || this.wanted.get(workspaceId) === token) {
      return;
    }
    this.wanted.set(workspaceId, token);
    void this.subscribe(workspaceId);
  }

  /** Stops following a workspace, if it still uses `token` (a subscription with a newer token goes on). */
  end(workspaceId: string, token: string | undefined): void {
    this.fallback.end(workspaceId, token);
    if (token === undefined || this.wanted.get(workspaceId) === token) {
      this.forget(workspaceId);
    }
  }

  /**
   * Pushes over the socket when the workspace is subscribed there with this token; undefined otherwise (push over
   * HTTP). Settles like the HTTP push: the seq, an ApiProblem with the route's status and code, or a TypeError when
   * the socket closed or no answer came in 30 s (the device is offline, as far as the sync state goes; the push is
   * retried with the same key).
   */
  push(token: string, workspaceId: string, bytes: Uint8Array, idempotencyKey: string, schemaVersion: number): Promise<number> | undefined {
    const socket = this.socket;
    if (socket?.readyState !== WebSocket.OPEN || !this.confirmed.has(workspaceId) || this.subscribed.get(workspaceId)?.token !== token) {
      return undefined;
    }
    const ref = this.nextRef++;
    return new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pushes.delete(ref);
        reject(new TypeError("The socket gave no answer to a push within 30 s."));
      }, 30_000);
      this.pushes.set(ref, { resolve, reject, timer });
      socket.send(encodeMessage({ type: "push", ref, workspace: workspaceId, key: idempotencyKey, version: schemaVersion }, bytes));
    });
  }

  /**
   * The page says the network went or came back. Offline, the socket is closed at once: a browser may keep a dead one
   * open (no data flows) long enough for a push to wait out its 30 s. Online, it reconnects now, not after the backoff.
   */
  network(online: boolean): void {
    if (!online) {
      this.socket?.close();
      this.abandonPushes("The device went offline before a push was answered.");
      return;
    }
    if (!this.socket && !this.useFallback && !this.stopped) {
      clearTimeout(this.reconnect);
      this.failures = 0;
      this.connect();
    }
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.watchdog);
    this.fallback.stop();
    this.socket?.close();
  }

  private forget(workspaceId: string): void {
    this.wanted.delete(workspaceId);
    this.confirmed.delete(workspaceId);
    const subscription = this.subscribed.get(workspaceId);
    this.subscribed.delete(workspaceId);
    if (subscription && this.socket?.readyState === WebSocket.OPEN) {
      this.socket.send(encodeMessage({ type: "unsubscribe", ref: this.nextRef++, workspace: workspaceId }));
    }
  }

  private connect(): void {
    if (this.stopped || this.useFallback || this.socket) return;
    let socket: WebSocket;
    try {
      socket = new WebSocket(socketUrl(this.baseUrl, self.location.origin), subprotocol);
    } catch {
      this.fallBack();
      return;
    }
    socket.binaryType = "arraybuffer";
    this.socket = socket;
    socket.onopen = () => {
      this.everOpened = true;
      this.failures = 0;
      this.lastHeard = Date.now();
      this.on.transport("socket");
      for (const workspaceId of this.wanted.keys()) void this.subscribe(workspaceId);
    };
    socket.onmessage = (event: MessageEvent<ArrayBuffer>) => {
      this.lastHeard = Date.now();
      let message: SocketMessage;
      try {
        message = decodeMessage(event.data);
      } catch (error) {
        console.warn("SyncEngine: a socket message could not be read", error);
        return;
      }
      // A push's answer settles at once, not behind the changes queued before it: the sync round that awaits it
      // holds the workspace's lock, which committing those changes waits for.
      const push = typeof message.header.ref === "number" && (message.type === "ack" || message.type === "error")
        ? this.pushes.get(message.header.ref) : undefined;
      if (push) {
        this.pushes.delete(message.header.ref as number);
        clearTimeout(push.timer);
        if (message.type === "ack") push.resolve(message.header.seq as number);
        else push.reject(problemOf(message.header));
        return;
      }
      this.handling = this.handling.then(() => this.handle(message)).catch((error: unknown) => {
        console.warn("SyncEngine: a socket message could not be handled", error);
      });
    };
    socket.onclose = () => {
      if (this.socket !== socket) return;
      this.socket = undefined;
      this.subscribed.clear();
      this.confirmed.clear();
      this.abandonPushes("The socket closed before a push was answered.");
      if (!this.everOpened) {
        this.fallBack();
        return;
      }
      // Reconnect after a growing pause; the subscriptions resume from the cursors, and a sync round pulls meanwhile.
      const delay = backoffDelay(this.failures++);
      this.reconnect = setTimeout(() => this.connect(), delay);
      for (const workspaceId of this.wanted.keys()) this.on.sync(workspaceId);
    };
  }

  /** Pushes waiting for an answer fail as a network failure would; each is retried with its key. */
  private abandonPushes(why: string): void {
    for (const push of this.pushes.values()) {
      clearTimeout(push.timer);
      push.reject(new TypeError(why));
    }
    this.pushes.clear();
  }

  /** The socket never opened: event streams from now on, for every workspace followed so far. */
  private fallBack(): void {
    if (this.useFallback) return;
    this.useFallback = true;
    this.on.transport("http");
    for (const workspaceId of this.wanted.keys()) this.on.sync(workspaceId);
    this.wanted.clear();
  }

  private async subscribe(workspaceId: string): Promise<void> {
    const token = this.wanted.get(workspaceId);
    const socket = this.socket;
    if (!token || socket?.readyState !== WebSocket.OPEN || this.subscribed.get(workspaceId)?.token === token) return;
    const ref = this.nextRef++;
    const subscription = { ref, token, after: 0 };
    this.subscribed.set(workspaceId, subscription);
    const after = subscription.after = (await this.store.committed.get(workspaceId))?.seq ?? 0;
    if (this.subscribed.get(workspaceId)?.ref === ref && socket.readyState === WebSocket.OPEN) {
      socket.send(encodeMessage({ type: "subscribe", ref, workspace: workspaceId, token, after }));
    }
  }

  private async handle(message: SocketMessage): Promise<void> {
    const workspaceId = typeof message.header.workspace === "string" ? message.header.workspace : undefined;
    const subscription = workspaceId ? this.subscribed.get(workspaceId) : undefined;
    if (!workspaceId || !subscription) return;
    switch (message.type) {
      case "subscribed":
        this.failuresOf.delete(workspaceId);
        if (message.header.ref !== subscription.ref) return;
        if (typeof message.header.head === "number" && message.header.head < subscription.after) {
          // The server's log ends before the device's cursor (restored from an older backup): the round's pull takes
          // the whole log again (pull.ts, rejoin), and its listen subscribes anew from the cursor that leaves.
          this.subscribed.delete(workspaceId);
          this.wanted.delete(workspaceId);
          this.on.sync(workspaceId);
          return;
        }
        this.confirmed.add(workspaceId);
        return;
      case "changes":
        if (!(await this.on.apply(workspaceId, readFrames(message.payload)))) {
          // Not the next the device lacks (it pulled past a gap meanwhile, or the store changed under it): pull.
          this.on.sync(workspaceId);
        }
        return;
      case "revoked":
      case "deleted":
      case "app-suspended":
        await this.ended(workspaceId, subscription.token, { request: "events", kind: message.type });
        return;
      case "unsubscribed":
        // Without a ref: this token's newer subscriptions superseded it (another tab); follow again after a pause.
        if (message.header.ref === undefined) await this.ended(workspaceId, subscription.token, { request: "events", kind: "ended" });
        return;
      case "error":
        if (message.header.ref === subscription.ref) {
          await this.ended(workspaceId, subscription.token, { request: "events", kind: "problem", problem: problemOf(message.header) });
        }
        return;
    }
  }

  /** A subscription ended or was refused: what the event stream would do with the same answer. */
  private async ended(workspaceId: string, token: string, answer: LiveAnswer): Promise<void> {
    this.subscribed.delete(workspaceId);
    this.confirmed.delete(workspaceId);
    this.wanted.delete(workspaceId);
    const decision = syncState(answer, this.appVersion);
    if (decision.kind === "access-lost") {
      await this.on.accessLost(workspaceId, decision.detail, token);
      return;
    }
    if (decision.kind === "stopped") {
      this.on.sync(workspaceId);
      return;
    }
    const attempt = this.failuresOf.get(workspaceId) ?? 0;
    this.failuresOf.set(workspaceId, attempt + 1);
    setTimeout(() => this.on.sync(workspaceId), retryDelay(decision.retry, attempt));
  }
}
