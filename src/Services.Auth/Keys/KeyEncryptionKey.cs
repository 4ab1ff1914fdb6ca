using System.Security.Cryptography;
using System.Text;

namespace Services.Auth.Keys;

/// <summary>
/// Seals the signing keys' private parts (AES-256-GCM, the key id as associated data) with a secret that is not in the
/// database, <c>Auth:KeyEncryptionKey</c> (32 random bytes, base64), so a dump of the database alone cannot forge
/// tokens. A plain secret from the deployment's secret store rather than Data Protection: Data Protection's key ring
/// would itself have to be shared by every Auth replica and the keys command, i.e. stored somewhere and protected by
/// yet another secret; one value that a secret store (Kubernetes secret, Key Vault, Vault) injects into each process is
/// the least to run and to rotate. Each sealed key records which secret sealed it (a fingerprint), so a wrong secret is
/// named as such instead of failing as a corrupt key.
/// </summary>
public sealed class KeyEncryptionKey
{
    public const string Setting = "Auth:KeyEncryptionKey";
    private const int KeyBytes = 32;
    private const int NonceBytes = 12;
    private const int TagBytes = 16;

    private readonly byte[] _key;

    private KeyEncryptionKey(byte[] key)
    {
        _key = key;
        // Names the secret without revealing it: a hash of a 256-bit random value, cut short.
        Fingerprint = Convert.ToHexString(SHA256.HashData([.. "syncengine-kek:"u8, .. key]))[..16].ToLowerInvariant();
    }

    public string Fingerprint { get; }

    /// <summary>Reads the setting; a missing or malformed one stops the caller with a message naming it.</summary>
    public static KeyEncryptionKey FromConfiguration(IConfiguration configuration) => Parse(configuration[Setting]);

    public static KeyEncryptionKey Parse(string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            throw new InvalidOperationException(
                $"{Setting} is not set. Auth encrypts its signing keys with it and cannot start without it: set it to 32 random " +
                $"bytes in base64 (e.g. `openssl rand -base64 32`), from a secret store, the same value for every Auth replica " +
                $"and the keys command (environment variable Auth__KeyEncryptionKey). The AppHost sets it in development.");
        }

        var key = new byte[KeyBytes];
        if (!Convert.TryFromBase64String(value.Trim(), key, out var written) || written != KeyBytes)
        {
            throw new InvalidOperationException($"{Setting} must be {KeyBytes} random bytes in base64 (e.g. `openssl rand -base64 32`).");
        }

        return new KeyEncryptionKey(key);
    }

    public static string Generate() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(KeyBytes));

    /// <summary>nonce | tag | ciphertext of <paramref name="plain"/>, bound to <paramref name="keyId"/>.</summary>
    public byte[] Seal(string keyId, byte[] plain)
    {
        var sealedKey = new byte[NonceBytes + TagBytes + plain.Length];
        var nonce = sealedKey.AsSpan(0, NonceBytes);
        RandomNumberGenerator.Fill(nonce);
        using var aes = new AesGcm(_key, TagBytes);
        aes.Encrypt(nonce, plain, sealedKey.AsSpan(NonceBytes + TagBytes), sealedKey.AsSpan(NonceBytes, TagBytes), Encoding.UTF8.GetBytes(keyId));
        return sealedKey;
    }

    /// <summary>The plain bytes; throws, saying which secret is needed, when this one did not seal them or they were altered.</summary>
    public byte[] Unseal(string keyId, string sealedWith, byte[] sealedKey)
    {
        if (sealedWith != Fingerprint)
        {
            throw new InvalidOperationException(
                $"Signing key {keyId} was encrypted with another {Setting} (fingerprint {sealedWith}) than the one configured " +
                $"(fingerprint {Fingerprint}). Give Auth the secret its keys were encrypted with.");
        }

        if (sealedKey.Length < NonceBytes + TagBytes)
        {
            throw new InvalidOperationException($"Signing key {keyId} is stored truncated ({sealedKey.Length} bytes); it cannot be decrypted.");
        }

        var plain = new byte[sealedKey.Length - NonceBytes - TagBytes];
        try
        {
            using var aes = new AesGcm(_key, TagBytes);
            aes.Decrypt(sealedKey.AsSpan(0, NonceBytes), sealedKey.AsSpan(NonceBytes + TagBytes), sealedKey.AsSpan(NonceBytes, TagBytes),
                plain, Encoding.UTF8.GetBytes(keyId));
        }
        catch (AuthenticationTagMismatchException altered)
        {
            throw new InvalidOperationException(
                $"Signing key {keyId} does not decrypt with {Setting} (fingerprint {Fingerprint}): its stored bytes were altered.", altered);
        }

        return plain;
    }
}
