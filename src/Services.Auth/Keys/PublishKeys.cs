using Microsoft.IdentityModel.Tokens;
using SyncEngine.Tokens;
using Wolverine.Http;

namespace Services.Auth.Keys;

/// <summary>The issuer metadata and public keys anyone may fetch to validate SyncEngine tokens.</summary>
public static class PublishKeys
{
    [WolverineGet("/.well-known/jwks.json")]
    public static async Task<IResult> Jwks(SigningKeyRing ring, CancellationToken ct) =>
        Results.Json(JwksDocument(await ring.PublishedAsync(ct)), contentType: "application/jwk-set+json");

    /// <summary>The public parts of the keys, as a JWKS.</summary>
    public static object JwksDocument(IEnumerable<SigningKey> published) => new
    {
        keys = published.Select(key =>
        {
            var jwk = JsonWebKeyConverter.ConvertFromECDsaSecurityKey(key.PublicSecurityKey());
            return new { kty = jwk.Kty, use = "sig", alg = TokenClaims.Algorithm, kid = key.Id, crv = jwk.Crv, x = jwk.X, y = jwk.Y };
        }),
    };

    /// <summary>The gateway's address when the AppHost runs with its defaults; a deployment sets <c>Auth:PublicOrigin</c>.</summary>
    public const string DefaultPublicOrigin = "http://localhost:8080";

    [WolverineGet("/.well-known/openid-configuration")]
    public static IResult Discovery(IConfiguration configuration) => Results.Json(new
    {
        issuer = configuration["Auth:Issuer"] ?? TokenClaims.DefaultIssuer,
        // From configuration, never from the request: Host and X-Forwarded-Host are the client's to choose, and a cache
        // in front would hand a forged jwks_uri to everyone.
        jwks_uri = $"{(configuration["Auth:PublicOrigin"] ?? DefaultPublicOrigin).TrimEnd('/')}/.well-known/jwks.json",
        id_token_signing_alg_values_supported = new[] { TokenClaims.Algorithm },
        token_endpoint_auth_methods_supported = Array.Empty<string>(),
        claims_supported = new[]
        {
            TokenClaims.Subject, TokenClaims.WorkspaceId, TokenClaims.Scope, TokenClaims.Master,
            TokenClaims.JwtId, TokenClaims.IssuedAt, "exp", "iss", "aud",
        },
    });
}
