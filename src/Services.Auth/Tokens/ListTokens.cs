using Marten;
using Microsoft.AspNetCore.Authorization;
using SyncEngine.ServiceDefaults.Security;
using Wolverine.Http;

namespace Services.Auth.Tokens;

/// <summary>What the owner sees of a workspace's access: never a token, never an invite code.</summary>
public sealed record TokenSummary(
    Guid TokenId, Guid ClientId, string Scope, bool IsMaster, string Status, DateTimeOffset GrantedAt,
    DateTimeOffset? IssuedAt, DateTimeOffset? ExpiresAt, DateTimeOffset? RevokedAt, DateTimeOffset? InviteExpiresAt);

public static class ListTokens
{
    [WolverineGet("/api/workspaces/{workspaceId}/tokens")]
    [Authorize(Policy = AccessPolicies.Master)]
    public static async Task<IReadOnlyList<TokenSummary>> Get(Guid workspaceId, IQuerySession session, TimeProvider clock, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var tokens = await session.Query<AccessToken>()
            .Where(t => t.WorkspaceId == workspaceId)
            .OrderBy(t => t.GrantedAt)
            .ToListAsync(ct);
        return tokens.Select(t => new TokenSummary(
                t.Id, t.ClientId, t.Scope, t.IsMaster, t.StatusAt(now), t.GrantedAt, t.IssuedAt, t.ExpiresAt, t.RevokedAt,
                t.IssuedAt is null ? t.InviteExpiresAt : null))
            .ToList();
    }
}
