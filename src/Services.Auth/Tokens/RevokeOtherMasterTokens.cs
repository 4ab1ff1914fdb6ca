using Marten;
using SyncEngine.Backend.Security;
using SyncEngine.Contracts.Auth;
using SyncEngine.Tokens;
using Wolverine;

namespace Services.Auth.Tokens;

/// <summary>
/// The owner ends every master token of the workspace but the one it calls with: master tokens never expire, and each
/// claim retry mints another, so a leaked one would otherwise work forever. Reached through the revoke route with the
/// owner's own client id.
/// </summary>
public static class RevokeOtherMasterTokens
{
    /// <summary>The workspace's master tokens still in force, except the caller's.</summary>
    public static IReadOnlyList<AccessToken> Decide(IEnumerable<AccessToken> tokens, Guid callerTokenId) =>
        tokens.Where(t => t.IsMaster && t.RevokedAt is null && t.Id != callerTokenId).ToList();

    public static async Task RevokeAsync(
        Guid workspaceId, TokenHolder owner, IDocumentSession session, IMessageBus bus, DateTimeOffset now, CancellationToken ct)
    {
        var tokens = await session.Query<AccessToken>()
            .Where(t => t.WorkspaceId == workspaceId && t.ClientId == owner.ClientId)
            .ToListAsync(ct);
        var revoked = Decide(tokens, owner.TokenId);
        if (revoked.Count == 0)
        {
            return;
        }

        foreach (var token in revoked)
        {
            token.RevokedAt = now;
            session.Update(token);
        }

        var ids = revoked.Select(t => t.Id).ToList();
        // No instant: the caller's own token, issued in the same second as others perhaps, must stay valid.
        await session.RecordRevocationAsync(workspaceId, owner.ClientId, revokedAt: null, ids, ct);
        await bus.PublishAsync(new MasterTokensRevoked(workspaceId, owner.ClientId, ids, now));
    }
}
