using Microsoft.IdentityModel.Tokens;

namespace SyncEngine.Tokens;

/// <summary>What a SyncEngine token must satisfy, whoever validates it: every service, and the gateway for its rate limits.</summary>
public static class TokenParameters
{
    public static TokenValidationParameters For(string issuer) => new()
    {
        ValidAlgorithms = [TokenClaims.Algorithm],
        ValidIssuer = issuer,
        ValidAudience = TokenClaims.Audience,
        ValidateIssuerSigningKey = true,
        // Auth names its key in every token; a token without a kid (or with an unknown one) is not tried against
        // every published key but refused, and an unknown kid makes JwtBearer refetch the keys.
        TryAllIssuerSigningKeys = false,
        ValidateLifetime = true,
        // exp is optional (docs/design.md); when present it is enforced.
        RequireExpirationTime = false,
        LifetimeValidator = TokenLifetime.Validate,
        RequireSignedTokens = true,
        // Issuer and validators are our own NTP-synced servers; a long skew would only stretch expiry.
        ClockSkew = TimeSpan.FromSeconds(5),
        NameClaimType = TokenClaims.Subject,
    };
}
