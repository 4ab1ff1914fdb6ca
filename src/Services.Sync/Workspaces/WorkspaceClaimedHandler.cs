using Marten;
using Services.Sync.Changes;
using SyncEngine.Contracts.Workspaces;

namespace Services.Sync.Workspaces;

public static class WorkspaceClaimedHandler
{
    /// <summary>
    /// Opens the workspace's change log; a redelivered claim, or one after the first push opened it, changes nothing,
    /// and one that arrives after the workspace's erasure (redelivered late) opens nothing.
    /// </summary>
    public static void Handle(WorkspaceClaimed claimed, IDocumentSession session) =>
        session.QueueSqlCommand(
            $"insert into {SyncSchema.Logs} (workspace_id, app_id) select ?, ? where not exists (select 1 from {SyncSchema.ErasedTable} where id = ?) " +
            $"on conflict (workspace_id) do update set app_id = excluded.app_id where {SyncSchema.Logs}.app_id is null",
            claimed.WorkspaceId, (object?)claimed.AppId ?? DBNull.Value, claimed.WorkspaceId);
}
