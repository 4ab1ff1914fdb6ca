using System.ComponentModel.DataAnnotations;
using Marten;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http.HttpResults;
using SyncEngine.Backend.Security;
using SyncEngine.Tokens;
using Wolverine.Http;

namespace Services.Auth.Tokens;

/// <summary>What the owner sees of a workspace's access: never a token, never an invite code.</summary>
public sealed record TokenSummary(
    Guid TokenId,
    Guid ClientId,
    [property: AllowedValues(Scopes.Read, Scopes.ReadWrite)] string Scope,
    bool IsMaster,
    [property: AllowedValues("pending", "invite-expired", "active", "expired", "revoked")] string Status,
    DateTimeOffset GrantedAt,
    DateTimeOffset? IssuedAt,
    DateTimeOffset? ExpiresAt,
    DateTimeOffset? RevokedAt,
    DateTimeOffset? InviteExpiresAt);

public static class ListTokens
{
    [WolverineGet("/api/workspaces/{workspaceId}/tokens", OperationId = "listTokens", Summary = "List a workspace's tokens",
        Description = "Every grant and master token, oldest first, with its status; never a token or an invite code.")]
    [Tags("Access")]
    [Authorize(Policy = AccessPolicies.Master)]
    public static async Task<Ok<List<TokenSummary>>> Get(Guid workspaceId, IQuerySession session, TimeProvider clock, CancellationToken ct)
    {
        var tokens = await session.Query<AccessToken>()
            .Where(t => t.WorkspaceId == workspaceId)
            .OrderBy(t => t.GrantedAt)
            .ToListAsync(ct);
        return TypedResults.Ok(View(tokens, clock.GetUtcNow()));
    }

    /// <summary>What the owner sees at <paramref name="now"/>: an invite's expiry only while it is still to be redeemed.</summary>
    public static List<TokenSummary> View(IEnumerable<AccessToken> tokens, DateTimeOffset now) =>
        tokens.Select(t => new TokenSummary(
                t.Id, t.ClientId, t.Scope, t.IsMaster, t.StatusAt(now), t.GrantedAt, t.IssuedAt, t.ExpiresAt, t.RevokedAt,
                t.IssuedAt is null ? t.InviteExpiresAt : null))
            .ToList();
}
