using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace SyncEngine.EndToEnd.Tests;

/// <summary>Tokens an attacker could make: right claims, wrong or no signature.</summary>
public static class ForgedTokens
{
    public static string Claims(Guid workspaceId, Guid clientId, bool master = true, string scope = "read_write") => Json(new Dictionary<string, object>
    {
        ["sub"] = clientId.ToString(),
        ["wid"] = workspaceId.ToString(),
        ["scope"] = scope,
        ["master"] = master,
        ["jti"] = Guid.NewGuid().ToString(),
        ["iat"] = DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
        ["iss"] = "syncengine",
        ["aud"] = "syncengine-api",
    });

    public static string AlgNone(string claims) => $"{Json(new { alg = "none", typ = "JWT" })}.{claims}.";

    public static string Hs256(string claims, byte[] secret)
    {
        var signingInput = $"{Json(new { alg = "HS256", typ = "JWT" })}.{claims}";
        return $"{signingInput}.{Base64Url(HMACSHA256.HashData(secret, Encoding.ASCII.GetBytes(signingInput)))}";
    }

    /// <summary>A proper ES256 signature by a key that is not Auth's, claiming one of Auth's key ids.</summary>
    public static string Es256WithForeignKey(string claims, string kid)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var signingInput = $"{Json(new { alg = "ES256", typ = "JWT", kid })}.{claims}";
        return $"{signingInput}.{Base64Url(key.SignData(Encoding.ASCII.GetBytes(signingInput), HashAlgorithmName.SHA256))}";
    }

    private static string Json(object value) => Base64Url(JsonSerializer.SerializeToUtf8Bytes(value));

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
