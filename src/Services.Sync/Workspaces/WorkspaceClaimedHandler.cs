using Marten;
using SyncEngine.Contracts.Workspaces;

namespace Services.Sync.Workspaces;

public static class WorkspaceClaimedHandler
{
    // Insert-if-missing: a redelivered claim must not reset a log that already has changes.
    public static async Task Handle(WorkspaceClaimed claimed, IDocumentSession session, CancellationToken ct)
    {
        if (await session.LoadAsync<SyncWorkspace>(claimed.WorkspaceId, ct) is null)
        {
            session.Insert(new SyncWorkspace(claimed.WorkspaceId, claimed.OwnerClientId, Head: 0, SchemaVersion: 0, claimed.ClaimedAt));
        }
    }
}
