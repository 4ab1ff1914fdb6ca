using Marten;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Services.Auth.Keys;
using SyncEngine.Backend.Security;
using SyncEngine.Tokens;

namespace Services.Auth.Tokens;

/// <summary>Signs SyncEngine tokens (docs/design.md claims) with the ring's active ES256 key.</summary>
public sealed class TokenIssuer(SigningKeyRing keys, IConfiguration configuration)
{
    private static readonly JsonWebTokenHandler Handler = new() { SetDefaultTimesOnTokenCreation = false };
    private readonly string _issuer = configuration["Auth:Issuer"] ?? TokenClaims.DefaultIssuer;

    public async Task<(string Token, DateTimeOffset IssuedAt)> IssueAsync(
        AccessToken access, DateTimeOffset now, IQuerySession session, CancellationToken ct)
    {
        var issuedAt = IssuedAtAfterRevocation(now, await session.FindRevocationAsync(access.WorkspaceId, access.ClientId, ct));
        var claims = new Dictionary<string, object>
        {
            [TokenClaims.Subject] = access.ClientId.ToString(),
            [TokenClaims.WorkspaceId] = access.WorkspaceId.ToString(),
            [TokenClaims.Scope] = access.Scope,
            [TokenClaims.Master] = access.IsMaster,
            [TokenClaims.JwtId] = access.Id.ToString(),
            [TokenClaims.IssuedAt] = issuedAt.ToUnixTimeSeconds(),
        };
        if (access.AppId is { } app)
        {
            claims[TokenClaims.App] = app;
        }

        var descriptor = new SecurityTokenDescriptor
        {
            Issuer = _issuer,
            Audience = TokenClaims.Audience,
            Claims = claims,
            Expires = access.ExpiresAt?.UtcDateTime,
            SigningCredentials = await keys.SigningCredentialsAsync(ct),
        };
        return (Handler.CreateToken(descriptor), issuedAt);
    }

    /// <summary>
    /// Validators refuse a revoked pair's tokens whose whole-second iat is at or before the revocation's second, so a
    /// token granted again within that same second must carry the next second, or it would be born revoked.
    /// </summary>
    public static DateTimeOffset IssuedAtAfterRevocation(DateTimeOffset now, Revocation? revocation)
    {
        var seconds = DateTimeOffset.FromUnixTimeSeconds(now.ToUnixTimeSeconds());
        return revocation is not null && revocation.Covers(seconds)
            ? DateTimeOffset.FromUnixTimeSeconds(revocation.RevokedAt.ToUnixTimeSeconds() + 1)
            : seconds;
    }
}
