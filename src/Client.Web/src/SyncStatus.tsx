import type { SyncState, WorkspaceRecord } from "@syncengine/sync";
import { usePendingCount } from "./sync";

const labels: Record<SyncState, string> = {
  local: "Not synced yet",
  syncing: "Syncing…",
  synced: "Synced",
  offline: "Offline — edits are saved on this device",
  "access-lost": "Access lost",
  "update-required": "Update required",
  "version-unreleased": "Waiting for the server to accept this app version",
  error: "Sync problem",
};

export function SyncStatus({ workspace }: { workspace: WorkspaceRecord }) {
  const pending = usePendingCount(workspace.workspaceId);
  return (
    <div className={`status status-${workspace.state}`} data-testid="sync-status" data-state={workspace.state} role="status">
      <strong>{labels[workspace.state]}</strong>
      {pending > 0 && <span data-testid="pending-count"> · {pending} local change{pending === 1 ? "" : "s"} waiting</span>}
      {workspace.detail && <p data-testid="sync-detail">{workspace.detail}</p>}
    </div>
  );
}

export function StateBadge({ state }: { state: SyncState }) {
  return <span className={`badge status-${state}`}>{labels[state]}</span>;
}
