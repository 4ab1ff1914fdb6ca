import type { SyncState } from "@syncengine/sync";
import { usePendingCount, useSyncState } from "@syncengine/sync/react";

const labels: Record<SyncState, string> = {
  local: "Not synced yet",
  syncing: "Syncing…",
  synced: "Synced",
  offline: "Offline — edits are saved on this device",
  "access-lost": "Access lost",
  "update-required": "Update required",
  "version-unreleased": "Waiting for the server to accept this app version",
  "app-suspended": "Paused by the server's operators — edits are saved on this device",
  "quota-exceeded": "Full on the server — edits are saved on this device",
  deleted: "Deleted on the server",
  error: "Sync problem",
};

export function SyncStatus({ workspaceId }: { workspaceId: string }) {
  const sync = useSyncState(workspaceId);
  const pending = usePendingCount(workspaceId);
  if (!sync) return null;
  return (
    <div className={`status status-${sync.state}`} data-testid="sync-status" data-state={sync.state} role="status">
      <strong>{labels[sync.state]}</strong>
      {pending > 0 && <span data-testid="pending-count"> · {pending} local change{pending === 1 ? "" : "s"} waiting</span>}
      {sync.detail && <p data-testid="sync-detail">{sync.detail}</p>}
    </div>
  );
}

export function StateBadge({ state }: { state: SyncState }) {
  return <span className={`badge status-${state}`}>{labels[state]}</span>;
}
