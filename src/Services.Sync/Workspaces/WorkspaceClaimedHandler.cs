using Marten;
using Services.Sync.Changes;
using SyncEngine.Contracts.Workspaces;

namespace Services.Sync.Workspaces;

public static class WorkspaceClaimedHandler
{
    /// <summary>Opens the workspace's change log; a redelivered claim, or one after the first push opened it, changes nothing.</summary>
    public static void Handle(WorkspaceClaimed claimed, IDocumentSession session) =>
        session.QueueSqlCommand($"insert into {SyncSchema.Logs} (workspace_id) values (?) on conflict do nothing", claimed.WorkspaceId);
}
