using System.Security.Claims;

namespace SyncEngine.Tokens;

/// <summary>What a validated token says, read once from its claims.</summary>
/// <param name="AppId">The token's <c>app</c> claim; null in tokens issued before apps existed (the default app).</param>
public sealed record TokenHolder(Guid ClientId, Guid WorkspaceId, string Scope, bool IsMaster, Guid TokenId, string? AppId = null)
{
    public bool CanWrite => Scope == Scopes.ReadWrite;

    public static TokenHolder? From(ClaimsPrincipal user) =>
        Guid.TryParse(user.FindFirstValue(TokenClaims.Subject), out var client)
        && Guid.TryParse(user.FindFirstValue(TokenClaims.WorkspaceId), out var workspace)
        && user.FindFirstValue(TokenClaims.Scope) is { } scope && Scopes.IsKnown(scope)
        && Guid.TryParse(user.FindFirstValue(TokenClaims.JwtId), out var tokenId)
            ? new TokenHolder(client, workspace, scope, user.FindFirstValue(TokenClaims.Master) == "true", tokenId, user.FindFirstValue(TokenClaims.App))
            : null;
}
