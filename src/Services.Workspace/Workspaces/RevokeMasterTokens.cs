using Marten;
using SyncEngine.Contracts.Auth;
using SyncEngine.ServiceDefaults.Security;

namespace Services.Workspace.Workspaces;

public static class MasterTokensRevokedHandler
{
    /// <summary>Recorded so this service refuses those tokens too; the owner keeps its access, so there is no member to revoke.</summary>
    public static Task Handle(MasterTokensRevoked revoked, IDocumentSession session, CancellationToken ct) =>
        session.RecordRevocationAsync(revoked.WorkspaceId, revoked.OwnerClientId, revokedAt: null, revoked.TokenIds, ct);
}
