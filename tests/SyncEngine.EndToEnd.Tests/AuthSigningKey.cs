using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using SyncEngine.Testing;

namespace SyncEngine.EndToEnd.Tests;

/// <summary>
/// Auth's own signing keys, opened with the fixture's key-encryption secret: how a test makes a token Auth would never
/// issue (an expired operator token) that is refused for that reason alone, its signature being Auth's.
/// </summary>
public static class AuthSigningKey
{
    /// <summary>A sealed private key as Auth stores it: nonce (12), tag (16), ciphertext, the key id as associated data.</summary>
    public static byte[] Unseal(string keyEncryptionKey, string kid, byte[] sealedKey)
    {
        var plain = new byte[sealedKey.Length - 28];
        using var aes = new AesGcm(Convert.FromBase64String(keyEncryptionKey), 16);
        aes.Decrypt(sealedKey.AsSpan(0, 12), sealedKey.AsSpan(28), sealedKey.AsSpan(12, 16), plain, Encoding.UTF8.GetBytes(kid));
        return plain;
    }

    /// <summary>An ES256 JWT of <paramref name="claims"/> signed by Auth's key <paramref name="kid"/>.</summary>
    public static async Task<string> SignAsync(SyncEngineApp app, string kid, object claims, CancellationToken ct)
    {
        await using var db = await app.OpenDatabaseAsync(ct);
        var data = (await db.QueryAsync("select data::text from auth.mt_doc_signingkey where id = $1",
            r => JsonNode.Parse(r.GetString(0))!.AsObject(), ct, kid)).Single();
        var sealedKey = data.First(p => string.Equals(p.Key, "sealedPrivateKey", StringComparison.OrdinalIgnoreCase)).Value!.GetValue<string>();
        using var key = ECDsa.Create();
        key.ImportPkcs8PrivateKey(Unseal(app.KeyEncryptionKey, kid, Convert.FromBase64String(sealedKey)), out _);
        var signingInput = $"{Part(new { alg = "ES256", typ = "JWT", kid })}.{Part(claims)}";
        return $"{signingInput}.{Jwt.ToBase64Url(key.SignData(Encoding.ASCII.GetBytes(signingInput), HashAlgorithmName.SHA256))}";
    }

    private static string Part(object value) => Jwt.ToBase64Url(JsonSerializer.SerializeToUtf8Bytes(value));
}
