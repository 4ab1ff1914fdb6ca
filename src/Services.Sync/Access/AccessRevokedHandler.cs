using Marten;
using SyncEngine.Contracts.Auth;
using SyncEngine.ServiceDefaults.Security;

namespace Services.Sync.Access;

public static class AccessRevokedHandler
{
    /// <summary>Kept in Sync's own schema, so every replica (and a restarted one) refuses the revoked client's old tokens.</summary>
    public static Task Handle(AccessRevoked revoked, IDocumentSession session, CancellationToken ct) =>
        session.RecordRevocationAsync(revoked.WorkspaceId, revoked.ClientId, revoked.RevokedAt, ct);
}
