import { liveQuery } from "dexie";
import type { LoroDoc } from "loro-crdt";
import { SyncApi } from "./api/client.js";
import type { AccessGrant, TokenSummary } from "./api/schemas.js";
import { channelName, type Broadcast, type ToWorker } from "./messages.js";
import type { AppSchema } from "./schema.js";
import { SyncStore, type Scope, type WorkspaceRecord } from "./store.js";
import { WorkspaceHandle } from "./workspace.js";

export interface SyncClientOptions {
  schema: AppSchema;
  /** The gateway's origin; the page's own when omitted. */
  baseUrl?: string;
  /** Quiet time after the last edit before a push (default 1 s). */
  debounceMs?: number;
  /** How to start the sync worker; the library's own worker by default, none where Web Workers do not exist. */
  createWorker?: (() => Worker) | null;
  /** Path of the app's join page; a join link is `{origin}{joinPath}/{workspaceId}#{inviteCode}`. */
  joinPath?: string;
  /**
   * The app as the server knows it (its `appId`, registered by the deployment's operators): new workspaces are claimed
   * in it, and held to its quotas and schema versions. Omitted, the deployment's default app.
   */
  appId?: string;
  /**
   * How live changes reach this device: "socket" (the default) keeps one WebSocket for every open workspace
   * (docs/protocol.md, "Realtime channel") and falls back to "http" where one cannot be opened; "http" uses an event
   * stream per open workspace and a pull per change. With the socket, pushes of a followed workspace go over it too.
   */
  transport?: "socket" | "http";
}

export interface Invitation {
  grant: AccessGrant;
  link: string;
}

/**
 * The library's entry point: one per app and page. Owns the local store, starts the sync worker and hands out open
 * workspaces. Everything a user does works offline except sharing (invite, join, tokens, revoke), which needs the server.
 */
export class SyncClient {
  private readonly open = new Map<string, { handle: Promise<WorkspaceHandle>; users: number }>();
  private readonly channel: BroadcastChannel | undefined;
  private readonly onOnline = () => this.online();
  private readonly onOffline = () => this.post({ type: "network", online: false });
  private readonly outbox: ToWorker[] = [];
  private worker: Worker | undefined;
  private workerReady = false;
  private workerless = false;
  private signalReady: () => void = () => {};
  /** Settles once the sync worker runs (its code and WebAssembly loaded); immediately without a worker. */
  readonly ready: Promise<void> = new Promise((resolve) => (this.signalReady = resolve));
  private signalTransport: (transport: "socket" | "http") => void = () => {};
  /** Which transport carries live changes, once the worker knows: "socket", or "http" (chosen, or fallen back to). */
  readonly transport: Promise<"socket" | "http"> = new Promise((resolve) => (this.signalTransport = resolve));

  private constructor(
    readonly clientId: string,
    private readonly store: SyncStore,
    private readonly options: SyncClientOptions,
    private readonly api: SyncApi,
  ) {
    if (typeof BroadcastChannel !== "undefined") {
      this.channel = new BroadcastChannel(channelName(options.schema.name));
      this.channel.onmessage = (event: MessageEvent<Broadcast>) => void this.onBroadcast(event.data);
    }
    if (typeof window !== "undefined") {
      window.addEventListener("online", this.onOnline);
      window.addEventListener("offline", this.onOffline);
    }
  }

  static async open(options: SyncClientOptions): Promise<SyncClient> {
    const store = new SyncStore(options.schema.name);
    const clientId = await store.clientId();
    const client = new SyncClient(clientId, store, options, new SyncApi(options.baseUrl ?? ""));
    client.startWorker();
    return client;
  }

  /**
   * Starts the sync worker. Its messages wait in the outbox until it says it is ready; a worker whose code could not
   * load (the page came from cache while offline) is started again when the network returns.
   */
  private startWorker(): void {
    const worker = this.options.createWorker === undefined ? defaultWorker() : this.options.createWorker?.() ?? undefined;
    this.worker = worker;
    if (!worker) {
      this.workerless = true;
      this.signalReady();
      return;
    }
    worker.onmessage = (event: MessageEvent<{ type: string; transport?: "socket" | "http" }>) => {
      if (event.data.type === "transport" && event.data.transport) {
        this.signalTransport(event.data.transport);
        return;
      }
      if (event.data.type !== "ready") return;
      this.workerReady = true;
      this.outbox.splice(0).forEach((message) => worker.postMessage(message));
      this.signalReady();
    };
    worker.onerror = () => {
      if (!this.workerReady) {
        worker.terminate();
        this.worker = undefined;
      }
    };
    const { name, version } = this.options.schema;
    const baseUrl = absolute(this.options.baseUrl ?? "");
    this.outbox.unshift({ type: "start", appName: name, appVersion: version, baseUrl, debounceMs: this.options.debounceMs ?? 1000, appId: this.options.appId,
      transport: this.options.transport,
    });
  }

  private online(): void {
    if (!this.worker && !this.workerless) {
      this.outbox.splice(0, this.outbox.length, ...this.outbox.filter((m) => m.type !== "start"));
      this.startWorker();
    }
    this.post({ type: "network", online: true });
  }

  get schema(): AppSchema {
    return this.options.schema;
  }

  /**
   * A new workspace, owned by this device, with the app's first content written by `setup`; the first sync claims it
   * on the server.
   */
  async createWorkspace(label: string, setup?: (doc: LoroDoc) => void): Promise<string> {
    const workspaceId = crypto.randomUUID();
    await this.store.workspaces.add({
      workspaceId,
      role: "owner",
      label,
      createdAt: Date.now(),
      claimKey: crypto.randomUUID(),
      state: "local",
    });
    const handle = await WorkspaceHandle.open(this.store, this.schema, workspaceId, this.localChange, { create: true });
    setup?.(handle.doc);
    await handle.flushed();
    handle.close();
    return workspaceId;
  }

  /** Opens a workspace's document; every `openWorkspace` is matched by one `release`. */
  async openWorkspace(workspaceId: string): Promise<WorkspaceHandle> {
    let entry = this.open.get(workspaceId);
    if (!entry) {
      entry = { handle: WorkspaceHandle.open(this.store, this.schema, workspaceId, this.localChange), users: 0 };
      this.open.set(workspaceId, entry);
      this.post({ type: "watch", workspaceId, on: true });
    }
    entry.users++;
    return entry.handle;
  }

  release(workspaceId: string): void {
    const entry = this.open.get(workspaceId);
    if (entry && --entry.users === 0) {
      this.open.delete(workspaceId);
      this.post({ type: "watch", workspaceId, on: false });
      void entry.handle.then((handle) => handle.close());
    }
  }

  /** Calls `listener` with every workspace this device knows, oldest first, now and whenever one changes. */
  watchWorkspaces(listener: (workspaces: WorkspaceRecord[]) => void): () => void {
    return watch(() => this.store.workspaces.orderBy("createdAt").toArray(), listener);
  }

  /**
   * Calls `listener` with one workspace (its access and sync state), now and whenever it changes; undefined while this
   * device does not know it.
   */
  watchWorkspace(workspaceId: string, listener: (workspace: WorkspaceRecord | undefined) => void): () => void {
    return watch(() => this.store.workspaces.get(workspaceId), listener);
  }

  /** Calls `listener` with how many local changes of a workspace wait for the server, now and whenever that changes. */
  watchPendingCount(workspaceId: string, listener: (count: number) => void): () => void {
    return watch(() => this.store.pending.where("workspaceId").equals(workspaceId).count(), listener);
  }

  async setLabel(workspaceId: string, label: string): Promise<void> {
    await this.store.workspaces.update(workspaceId, { label });
  }

  /** Push and pull now instead of waiting for the debounce or an event. */
  syncNow(workspaceId?: string): void {
    this.post(workspaceId ? { type: "sync", workspaceId } : { type: "sync" });
  }

  /** Grants `clientId` access and returns the join link to send it (the invite code travels in the fragment). */
  async invite(workspaceId: string, clientId: string, scope: Scope, expiresInSeconds?: number): Promise<Invitation> {
    const token = await this.masterToken(workspaceId);
    const grant = await this.api.grant(token, workspaceId, { clientId, scope, expiresInSeconds: expiresInSeconds ?? null });
    return { grant, link: this.joinLink(workspaceId, grant.inviteCode) };
  }

  joinLink(workspaceId: string, inviteCode: string): string {
    const origin = typeof location === "undefined" ? "" : location.origin;
    return `${origin}${this.options.joinPath ?? "/join"}/${workspaceId}#${encodeURIComponent(inviteCode)}`;
  }

  /** Reads a join link (or the current location) into the workspace and the invite code. */
  parseJoinLink(link: string): { workspaceId: string; inviteCode: string } | undefined {
    const url = new URL(link, typeof location === "undefined" ? "http://localhost" : location.href);
    const match = /\/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\/?$/i.exec(url.pathname);
    const inviteCode = decodeURIComponent(url.hash.replace(/^#/, ""));
    return match && inviteCode ? { workspaceId: match[1]!.toLowerCase(), inviteCode } : undefined;
  }

  /**
   * Redeems an invite with this device's clientId. A workspace this device already had (access was revoked, now
   * granted again) keeps its local edits and resumes syncing them.
   */
  async join(workspaceId: string, inviteCode: string): Promise<void> {
    const joined = await this.api.join(workspaceId, this.clientId, inviteCode);
    const scope = joined.scope as Scope;
    await this.store.transaction("rw", this.store.workspaces, async () => {
      const existing = await this.store.workspaces.get(workspaceId);
      const access = { token: joined.token, scope, expiresAt: joined.expiresAt ?? null, state: "syncing" as const, detail: undefined };
      if (existing) {
        await this.store.workspaces.update(workspaceId, access);
      } else {
        await this.store.workspaces.add({ workspaceId, role: "member", label: "Shared workspace", createdAt: Date.now(), claimKey: crypto.randomUUID(), ...access });
      }
    });
    this.syncNow(workspaceId);
  }

  /** Every token of the workspace (never their secrets); owner only. */
  async tokens(workspaceId: string): Promise<TokenSummary[]> {
    return this.api.tokens(await this.masterToken(workspaceId), workspaceId);
  }

  /** Ends `clientId`'s access at once: its pushes, pulls and live events fail from now on. */
  async revoke(workspaceId: string, clientId: string): Promise<void> {
    await this.api.revoke(await this.masterToken(workspaceId), workspaceId, clientId);
  }

  close(): void {
    this.worker?.terminate();
    this.channel?.close();
    if (typeof window !== "undefined") {
      window.removeEventListener("online", this.onOnline);
      window.removeEventListener("offline", this.onOffline);
    }
    this.store.close();
  }

  private async masterToken(workspaceId: string): Promise<string> {
    const workspace = await this.store.workspaces.get(workspaceId);
    if (!workspace?.token || workspace.role !== "owner") {
      throw new Error(workspace?.role === "owner"
        ? "This workspace has not reached the server yet; sharing works once it has synced."
        : "Only the owner can share this workspace.");
    }
    return workspace.token;
  }

  private readonly localChange = (workspaceId: string, bytes: Uint8Array): void => {
    this.channel?.postMessage({ type: "updates", workspaceId, updates: [bytes] } satisfies Broadcast);
    this.post({ type: "changed", workspaceId });
  };

  private async onBroadcast(message: Broadcast): Promise<void> {
    const entry = this.open.get(message.workspaceId);
    if (message.type === "updates") {
      const outcome = (await entry?.handle)?.applyRemote(message.updates);
      if (outcome?.kind === "migrated") this.syncNow(message.workspaceId);
      return;
    }
    // A migration the server asked for: run it on the open document, or open it just for that.
    const handle = await (entry?.handle ?? WorkspaceHandle.open(this.store, this.schema, message.workspaceId, this.localChange));
    const outcome = handle.upgrade();
    const adopted = outcome.kind === "missing" || outcome.kind === "newer" || message.currentVersion > this.schema.version
      ? false
      : await handle.adoptPending();
    if (!adopted) {
      if (!entry) handle.close();
      await this.store.setState(message.workspaceId, "update-required", { detail: "This app cannot migrate the workspace's document; update the app." });
      return;
    }
    if (!entry) handle.close();
    this.syncNow(message.workspaceId);
  }

  private post(message: ToWorker): void {
    if (this.workerReady) {
      this.worker?.postMessage(message);
    } else if (!this.workerless) {
      this.outbox.push(message);
    }
  }
}

/** Runs `query` now and again whenever what it read changes in IndexedDB (in any tab or the worker). */
function watch<T>(query: () => Promise<T>, listener: (value: T) => void): () => void {
  const subscription = liveQuery(query).subscribe({ next: listener });
  return () => subscription.unsubscribe();
}

function defaultWorker(): Worker | undefined {
  return typeof Worker === "undefined" ? undefined : new Worker(new URL("./worker/worker.ts", import.meta.url), { type: "module", name: "syncengine" });
}

function absolute(baseUrl: string): string {
  // The worker resolves relative URLs against its script's URL; give it the page's origin explicitly.
  return baseUrl || (typeof location === "undefined" ? "" : location.origin);
}
