using Marten;
using Services.Sync.Live;
using SyncEngine.Backend.Security;
using SyncEngine.Contracts.Auth;

namespace Services.Sync.Access;

public static class MasterTokensRevokedHandler
{
    /// <summary>
    /// Kept with the owner's revocation record, so every replica refuses those tokens; one NOTIFY per token closes
    /// exactly their live streams on every replica, not the stream of the master token that revoked them.
    /// </summary>
    public static async Task Handle(MasterTokensRevoked revoked, IDocumentSession session, CancellationToken ct)
    {
        await session.RecordRevocationAsync(revoked.WorkspaceId, revoked.OwnerClientId, revokedAt: null, revoked.TokenIds, ct);
        foreach (var tokenId in revoked.TokenIds)
        {
            session.QueueSqlCommand("select pg_notify(?, ?)", HeadNotifications.RevokedChannel,
                HeadNotifications.TokenRevokedPayload(revoked.WorkspaceId, revoked.OwnerClientId, tokenId));
        }
    }
}
