using Marten;
using Services.Auth.Tokens;
using SyncEngine.Backend.Security;
using SyncEngine.Contracts.Workspaces;

namespace Services.Auth.Workspaces;

/// <summary>
/// Auth's part of an erasure: every token and pending invite of the workspace, its owner record and its revocations
/// go, and a tombstone stays, so every route of the id answers 410 and no token of it is issued again. A redelivered
/// message finds the tombstone and changes nothing.
/// </summary>
public static class WorkspaceErasedHandler
{
    public static async Task Handle(WorkspaceErased erased, IDocumentSession session, CancellationToken ct)
    {
        await session.LockAgainstErasureAsync(erased.WorkspaceId, exclusive: true, ct);
        if (await session.IsErasedAsync(erased.WorkspaceId, ct))
        {
            return;
        }

        session.DeleteWhere<AccessToken>(t => t.WorkspaceId == erased.WorkspaceId);
        session.Delete<WorkspaceOwner>(erased.WorkspaceId);
        session.RecordErasure(erased.WorkspaceId, erased.ErasedBy, erased.ErasedAt);
    }
}
