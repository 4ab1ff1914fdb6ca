using Marten;
using SyncEngine.Backend.Security;
using SyncEngine.Contracts.Workspaces;
using Wolverine.Marten;

namespace Services.Auth.Workspaces;

public static class WorkspaceClaimedHandler
{
    /// <summary>
    /// Store is an upsert, so a redelivered message changes nothing; one that arrives after the workspace's erasure
    /// (redelivered late) stores nothing.
    /// </summary>
    public static IMartenOp Decide(WorkspaceClaimed claimed, bool erased) =>
        erased ? MartenOps.Nothing() : MartenOps.Store(new WorkspaceOwner(claimed.WorkspaceId, claimed.OwnerClientId, claimed.ClaimedAt, claimed.AppId));

    public static async Task<IMartenOp> Handle(WorkspaceClaimed claimed, IQuerySession session, CancellationToken ct) =>
        Decide(claimed, await session.IsErasedAsync(claimed.WorkspaceId, ct));
}
