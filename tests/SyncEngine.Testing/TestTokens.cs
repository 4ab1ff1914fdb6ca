using Microsoft.IdentityModel.Tokens;
using SyncEngine.Tokens;

namespace SyncEngine.Testing;

/// <summary>A token as Auth would describe it (a master of a fresh workspace), for validation tests to sign as they need.</summary>
public static class TestTokens
{
    public static SecurityTokenDescriptor Descriptor(SigningCredentials? credentials, string issuer = TokenClaims.DefaultIssuer,
        string audience = TokenClaims.Audience, DateTime? expires = null) => new()
    {
        Issuer = issuer,
        Audience = audience,
        Expires = expires,
        Claims = new Dictionary<string, object>
        {
            [TokenClaims.Subject] = Guid.NewGuid().ToString(),
            [TokenClaims.WorkspaceId] = Guid.NewGuid().ToString(),
            [TokenClaims.Scope] = Scopes.ReadWrite,
            [TokenClaims.Master] = true,
            [TokenClaims.JwtId] = Guid.NewGuid().ToString(),
            [TokenClaims.IssuedAt] = DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
        },
        SigningCredentials = credentials,
    };
}
