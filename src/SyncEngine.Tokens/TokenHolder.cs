using System.Security.Claims;

namespace SyncEngine.Tokens;

/// <summary>What a validated token says, read once from its claims.</summary>
public sealed record TokenHolder(Guid ClientId, Guid WorkspaceId, string Scope, bool IsMaster, Guid TokenId)
{
    public bool CanWrite => Scope == Scopes.ReadWrite;

    public static TokenHolder? From(ClaimsPrincipal user) =>
        Guid.TryParse(user.FindFirstValue(TokenClaims.Subject), out var client)
        && Guid.TryParse(user.FindFirstValue(TokenClaims.WorkspaceId), out var workspace)
        && user.FindFirstValue(TokenClaims.Scope) is { } scope && Scopes.IsKnown(scope)
        && Guid.TryParse(user.FindFirstValue(TokenClaims.JwtId), out var tokenId)
            ? new TokenHolder(client, workspace, scope, user.FindFirstValue(TokenClaims.Master) == "true", tokenId)
            : null;
}
