import { Dexie, type EntityTable } from "dexie";

export type Scope = "read" | "read_write";

/**
 * Where a workspace's sync stands, as the app should show it:
 * - `local`: never synced (a new workspace waiting for its first claim);
 * - `syncing` / `synced`: working, or everything acknowledged and pulled;
 * - `offline`: the server is out of reach; retrying with backoff;
 * - `access-lost`: the token was revoked or expired; local edits are kept, syncing stopped until access is granted again;
 * - `update-required`: the workspace's schema is newer than this app; update the app;
 * - `version-unreleased`: this app is newer than the server accepts; its changes stay on the device and are retried;
 * - `app-suspended`: the deployment's operators suspended this app; nothing is lost, and syncing resumes by itself
 *   (retried slowly) once the app is resumed;
 * - `deleted`: the workspace was deleted on the server (by its owner or an operator); syncing stopped for good, and
 *   what this device holds is its last copy;
 * - `error`: something the user must look at (a change too large, an id already taken), in `detail`.
 */
export type SyncState =
  | "local" | "syncing" | "synced" | "offline" | "access-lost" | "update-required" | "version-unreleased" | "app-suspended"
  | "quota-exceeded" | "deleted" | "error";

/** A workspace this device knows: its access and its sync state (the document itself lives in `committed`/`pending`). */
export interface WorkspaceRecord {
  workspaceId: string;
  role: "owner" | "member";
  /** The app's label for lists (the library never reads the document for it). */
  label: string;
  createdAt: number;
  /** Idempotency-Key of the claim, kept so a retried claim after a lost answer still gets the master token. */
  claimKey: string;
  token?: string;
  scope?: Scope;
  expiresAt?: string | null;
  state: SyncState;
  detail?: string;
  /** The workspace's schema version as the server last reported it. */
  serverVersion?: number;
  lastSyncedAt?: number;
}

/** The last state the server acknowledged: a Loro snapshot and the seq it has pulled up to. */
export interface CommittedRecord {
  workspaceId: string;
  snapshot: Uint8Array;
  seq: number;
  /** Changes pulled since the last snapshot this device uploaded; drives compaction. */
  changesSinceSnapshot: number;
}

/** A local change the server has not acknowledged yet. Deleted only after its push answered 2xx. */
export interface PendingChange {
  id?: number;
  workspaceId: string;
  bytes: Uint8Array;
  idempotencyKey: string;
  /** The schema version the document had when this change was made. */
  version: number;
  /** Set before the first push: a change that may have reached the server is never merged into another. */
  attempted: boolean;
}

export interface DeviceRecord {
  key: "device";
  clientId: string;
}

/** One IndexedDB database per app, shared by the page and the sync worker. */
export class SyncStore extends Dexie {
  device!: EntityTable<DeviceRecord, "key">;
  workspaces!: EntityTable<WorkspaceRecord, "workspaceId">;
  committed!: EntityTable<CommittedRecord, "workspaceId">;
  pending!: EntityTable<PendingChange, "id">;

  constructor(appName: string) {
    super(databaseName(appName));
    this.version(1).stores({
      device: "key",
      workspaces: "workspaceId, createdAt",
      committed: "workspaceId",
      pending: "++id, workspaceId",
    });
  }

  /** This device's clientId: made on first run, then kept. */
  async clientId(): Promise<string> {
    return this.transaction("rw", this.device, async () => {
      const existing = await this.device.get("device");
      if (existing) {
        return existing.clientId;
      }
      const clientId = crypto.randomUUID();
      await this.device.add({ key: "device", clientId });
      return clientId;
    });
  }

  pendingOf(workspaceId: string): Promise<PendingChange[]> {
    return this.pending.where("workspaceId").equals(workspaceId).sortBy("id");
  }

  async setState(workspaceId: string, state: SyncState, changes: Partial<WorkspaceRecord> = {}): Promise<void> {
    await this.workspaces.update(workspaceId, { state, detail: undefined, ...changes });
  }
}

export function databaseName(appName: string): string {
  return `syncengine-${appName}`;
}
