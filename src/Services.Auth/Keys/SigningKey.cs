using System.Security.Cryptography;
using Microsoft.IdentityModel.Tokens;

namespace Services.Auth.Keys;

/// <summary>
/// One ES256 key of the ring. It is published at the JWKS endpoint from creation until retirement, and signs from
/// <see cref="ActivatesAt"/> on (the newest active key signs), so a new key can be published before it is used and
/// validators have fetched it by then.
/// </summary>
public sealed class SigningKey
{
    public string Id { get; set; } = "";
    public byte[] PrivateKeyPkcs8 { get; set; } = [];
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset ActivatesAt { get; set; }
    public DateTimeOffset? RetiredAt { get; set; }

    public static SigningKey Generate(DateTimeOffset now, DateTimeOffset activatesAt)
    {
        using var ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        return new SigningKey
        {
            // Hex, not base64url: a base64url id may start with '-', which the keys command reads as a flag, so
            // `keys retire --kid -AbC...` could not name it.
            Id = Convert.ToHexString(RandomNumberGenerator.GetBytes(12)).ToLowerInvariant(),
            PrivateKeyPkcs8 = ecdsa.ExportPkcs8PrivateKey(),
            CreatedAt = now,
            ActivatesAt = activatesAt,
        };
    }

    public ECDsaSecurityKey PrivateSecurityKey()
    {
        var ecdsa = ECDsa.Create();
        ecdsa.ImportPkcs8PrivateKey(PrivateKeyPkcs8, out _);
        return new ECDsaSecurityKey(ecdsa) { KeyId = Id };
    }

    public ECDsaSecurityKey PublicSecurityKey()
    {
        using var full = ECDsa.Create();
        full.ImportPkcs8PrivateKey(PrivateKeyPkcs8, out _);
        return new ECDsaSecurityKey(ECDsa.Create(full.ExportParameters(includePrivateParameters: false))) { KeyId = Id };
    }
}

/// <summary>Which keys are published and which one signs: pure, so rotation is testable without a database.</summary>
public static class KeySelection
{
    public static IReadOnlyList<SigningKey> Published(IEnumerable<SigningKey> keys, DateTimeOffset now) =>
        keys.Where(k => k.RetiredAt is null || k.RetiredAt > now).OrderBy(k => k.CreatedAt).ToList();

    public static SigningKey? Signing(IEnumerable<SigningKey> keys, DateTimeOffset now) =>
        Published(keys, now).Where(k => k.ActivatesAt <= now).MaxBy(k => k.ActivatesAt);

    /// <summary>
    /// Why <paramref name="keyId"/> cannot be retired at <paramref name="at"/>, or null when it can: retiring the only
    /// key that signs then would leave Auth unable to issue any token until the next key activates.
    /// </summary>
    public static string? RefuseRetirement(IReadOnlyCollection<SigningKey> keys, string keyId, DateTimeOffset at)
    {
        if (keys.All(k => k.Id != keyId))
        {
            return $"There is no signing key {keyId} (keys list shows them).";
        }

        if (Signing(keys.Where(k => k.Id != keyId), at) is not null)
        {
            return null;
        }

        var next = Published(keys.Where(k => k.Id != keyId), at).Where(k => k.ActivatesAt > at).MinBy(k => k.ActivatesAt);
        return next is null
            ? $"Key {keyId} is the only one that can sign; add a key first (keys add), then retire this one once it signs."
            : $"Key {keyId} is the only one that signs until {next.Id} activates at {next.ActivatesAt:O}; retire it after that.";
    }
}
