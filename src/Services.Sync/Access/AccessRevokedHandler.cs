using Marten;
using Services.Sync.Live;
using SyncEngine.Backend.Security;
using SyncEngine.Contracts.Auth;

namespace Services.Sync.Access;

public static class AccessRevokedHandler
{
    /// <summary>
    /// Kept in Sync's own schema, so every replica (and a restarted one) refuses the revoked client's old tokens; the
    /// NOTIFY, delivered at commit, closes its live streams on every replica.
    /// </summary>
    public static async Task Handle(AccessRevoked revoked, IDocumentSession session, CancellationToken ct)
    {
        await session.RecordRevocationAsync(revoked.WorkspaceId, revoked.ClientId, revoked.RevokedAt, revoked.TokenIds ?? [], ct);
        session.QueueSqlCommand("select pg_notify(?, ?)", HeadNotifications.RevokedChannel, $"{revoked.WorkspaceId:N}:{revoked.ClientId:N}");
    }
}
