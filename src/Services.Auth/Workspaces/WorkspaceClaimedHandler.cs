using SyncEngine.Contracts.Workspaces;
using Wolverine.Marten;

namespace Services.Auth.Workspaces;

public static class WorkspaceClaimedHandler
{
    // Store is an upsert, so a redelivered message changes nothing.
    public static IMartenOp Handle(WorkspaceClaimed claimed) =>
        MartenOps.Store(new WorkspaceOwner(claimed.WorkspaceId, claimed.OwnerClientId, claimed.ClaimedAt));
}
