using Marten;
using SyncEngine.Contracts.Workspaces;

namespace Services.Auth.Workspaces;

public static class WorkspaceClaimedHandler
{
    // Store is an upsert, so a redelivered message changes nothing.
    public static void Handle(WorkspaceClaimed claimed, IDocumentSession session) =>
        session.Store(new WorkspaceOwner(claimed.WorkspaceId, claimed.OwnerClientId, claimed.ClaimedAt));
}
