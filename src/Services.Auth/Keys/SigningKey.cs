using System.Security.Cryptography;
using Microsoft.IdentityModel.Tokens;

namespace Services.Auth.Keys;

/// <summary>
/// One ES256 key of the ring. It is published at the JWKS endpoint from creation until retirement, and signs from
/// <see cref="ActivatesAt"/> on (the newest active key signs), so a new key can be published before it is used and
/// validators have fetched it by then. In the database the private part is sealed (<see cref="SealedPrivateKey"/>, see
/// <see cref="KeyEncryptionKey"/>) and <see cref="PrivateKeyPkcs8"/> is empty; in memory it is the plain key.
/// </summary>
public sealed class SigningKey
{
    public string Id { get; set; } = "";

    /// <summary>The plain private key in memory; stored only by rows written before keys were sealed, which the ring seals.</summary>
    public byte[] PrivateKeyPkcs8 { get; set; } = [];

    public byte[] SealedPrivateKey { get; set; } = [];

    /// <summary>The fingerprint of the <see cref="KeyEncryptionKey"/> that sealed this key.</summary>
    public string SealedWith { get; set; } = "";

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

    /// <summary>A row stored before keys were sealed: its private part is in the database in plain.</summary>
    public bool StoredInPlain => SealedPrivateKey.Length == 0;

    /// <summary>What the database may hold: the private part sealed, the plain one gone.</summary>
    public SigningKey Sealed(KeyEncryptionKey encryption) => new()
    {
        Id = Id,
        SealedPrivateKey = encryption.Seal(Id, PrivateKeyPkcs8),
        SealedWith = encryption.Fingerprint,
        CreatedAt = CreatedAt,
        ActivatesAt = ActivatesAt,
        RetiredAt = RetiredAt,
    };

    /// <summary>The key as stored, with its plain private part restored for use in memory.</summary>
    public SigningKey Unsealed(KeyEncryptionKey encryption) => StoredInPlain ? this : new()
    {
        Id = Id,
        PrivateKeyPkcs8 = encryption.Unseal(Id, SealedWith, SealedPrivateKey),
        CreatedAt = CreatedAt,
        ActivatesAt = ActivatesAt,
        RetiredAt = RetiredAt,
    };

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
