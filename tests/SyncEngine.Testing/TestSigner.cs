using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using SyncEngine.Tokens;

namespace SyncEngine.Testing;

/// <summary>
/// Stands in for Auth when the service under test is another: an ES256 key that signs tokens with Auth's claims, and
/// its JWKS, which <see cref="JwksHandler"/> serves to the service in process where it would fetch Auth's.
/// </summary>
public sealed class TestSigner
{
    private readonly ECDsa _key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private readonly string _keyId = Convert.ToHexString(RandomNumberGenerator.GetBytes(12)).ToLowerInvariant();

    public string Jwks()
    {
        var publicKey = JsonWebKeyConverter.ConvertFromECDsaSecurityKey(
            new ECDsaSecurityKey(ECDsa.Create(_key.ExportParameters(includePrivateParameters: false))) { KeyId = _keyId });
        publicKey.Use = "sig";
        publicKey.Alg = TokenClaims.Algorithm;
        return System.Text.Json.JsonSerializer.Serialize(new
        {
            keys = new[] { new { kty = publicKey.Kty, use = publicKey.Use, alg = publicKey.Alg, kid = publicKey.Kid, crv = publicKey.Crv, x = publicKey.X, y = publicKey.Y } },
        });
    }

    /// <summary>
    /// A token as Auth issues it; <paramref name="issuedAt"/> defaults to now, <paramref name="expires"/> to never,
    /// <paramref name="app"/> to no <c>app</c> claim (a token from before apps: the default app's).
    /// </summary>
    public string Issue(Guid workspaceId, Guid clientId, string scope = Scopes.ReadWrite, bool master = false,
        Guid? tokenId = null, DateTimeOffset? issuedAt = null, DateTimeOffset? expires = null, string? app = null) =>
        new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = TokenClaims.DefaultIssuer,
            Audience = TokenClaims.Audience,
            Expires = expires?.UtcDateTime,
            Claims = new Dictionary<string, object?>
            {
                [TokenClaims.App] = app,
                [TokenClaims.Subject] = clientId.ToString(),
                [TokenClaims.WorkspaceId] = workspaceId.ToString(),
                [TokenClaims.Scope] = scope,
                [TokenClaims.Master] = master,
                [TokenClaims.JwtId] = (tokenId ?? Guid.NewGuid()).ToString(),
                [TokenClaims.IssuedAt] = (issuedAt ?? DateTimeOffset.UtcNow).ToUnixTimeSeconds(),
            }.Where(claim => claim.Value is not null).ToDictionary(claim => claim.Key, claim => claim.Value!),
            SigningCredentials = new SigningCredentials(new ECDsaSecurityKey(_key) { KeyId = _keyId }, SecurityAlgorithms.EcdsaSha256),
        });

    /// <summary>Answers every request of the service's <c>auth-keys</c> client with this key's JWKS.</summary>
    public sealed class JwksHandler(TestSigner signer) : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK)
            {
                Content = new StringContent(signer.Jwks(), Encoding.UTF8, "application/json"),
            });
    }
}
