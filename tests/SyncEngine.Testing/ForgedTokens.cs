using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace SyncEngine.Testing;

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

    /// <summary>Unsigned, naming one of Auth's key ids, so only the ES256 rule can refuse it (not a missing kid).</summary>
    public static string AlgNone(string claims, string kid) => $"{Json(new { alg = "none", typ = "JWT", kid })}.{claims}.";

    /// <summary>HMAC-signed with a published key's public bytes under that key's id: the key-confusion forgery.</summary>
    public static string Hs256(string claims, byte[] secret, string kid)
    {
        var signingInput = $"{Json(new { alg = "HS256", typ = "JWT", kid })}.{claims}";
        return $"{signingInput}.{Base64Url(HMACSHA256.HashData(secret, Encoding.ASCII.GetBytes(signingInput)))}";
    }

    /// <summary>A proper ES256 signature by a key that is not Auth's, claiming one of Auth's key ids.</summary>
    public static string Es256WithForeignKey(string claims, string kid)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var signingInput = $"{Json(new { alg = "ES256", typ = "JWT", kid })}.{claims}";
        return $"{signingInput}.{Base64Url(key.SignData(Encoding.ASCII.GetBytes(signingInput), HashAlgorithmName.SHA256))}";
    }

    /// <summary>A real token whose claims were edited, its original signature kept.</summary>
    public static string WithClaims(string token, Action<Dictionary<string, object?>> edit)
    {
        var parts = token.Split('.');
        var claims = JsonSerializer.Deserialize<Dictionary<string, object?>>(Jwt.Payload(token).GetRawText())!;
        edit(claims);
        return $"{parts[0]}.{Json(claims)}.{parts[2]}";
    }

    /// <summary>A published key's public x coordinate: the secret of the classic HS256 key-confusion forgery.</summary>
    public static async Task<byte[]> PublicKeyBytesAsync(HttpClient auth, string kid, CancellationToken ct)
    {
        using var response = await auth.GetAsync("/.well-known/jwks.json", ct);
        return PublicKeyBytes(await response.Content.ReadAsStringAsync(ct), kid);
    }

    public static byte[] PublicKeyBytes(string jwks, string kid)
    {
        var key = JsonDocument.Parse(jwks).RootElement.GetProperty("keys").EnumerateArray().First(k => k.GetProperty("kid").GetString() == kid);
        return Jwt.FromBase64Url(key.GetProperty("x").GetString()!);
    }

    private static string Json(object value) => Base64Url(JsonSerializer.SerializeToUtf8Bytes(value));

    private static string Base64Url(byte[] bytes) => Jwt.ToBase64Url(bytes);
}
