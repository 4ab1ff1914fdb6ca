using System.Security.Cryptography;
using Microsoft.IdentityModel.Tokens;

namespace SyncEngine.Backend.Tests;

/// <summary>
/// An ES256 key pair like one of Auth's signing keys: tests sign with the private half, and validators get the public
/// half as a JsonWebKey under the key's id, as they do from Auth's JWKS.
/// </summary>
public sealed class TestKey
{
    private readonly ECDsa _ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP256);

    public string Id { get; } = Convert.ToHexString(RandomNumberGenerator.GetBytes(12)).ToLowerInvariant();

    public static TestKey Generate() => new();

    /// <summary>A new key object each call, so a test may rename it without touching the others.</summary>
    public ECDsaSecurityKey PrivateSecurityKey() => new(_ecdsa) { KeyId = Id };

    public JsonWebKey PublicSecurityKey() => JsonWebKeyConverter.ConvertFromECDsaSecurityKey(
        new ECDsaSecurityKey(ECDsa.Create(_ecdsa.ExportParameters(includePrivateParameters: false))) { KeyId = Id });
}
