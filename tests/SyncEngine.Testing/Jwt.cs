using System.Text;
using System.Text.Json;

namespace SyncEngine.Testing;

/// <summary>Reads a JWT's parts without validating it: what a client (or an attacker) can see in any token.</summary>
public static class Jwt
{
    public static JsonElement Header(string token) => Part(token, 0);

    public static JsonElement Payload(string token) => Part(token, 1);

    public static string KeyId(string token) => Header(token).GetProperty("kid").GetString()!;

    public static byte[] FromBase64Url(string base64Url)
    {
        var s = base64Url.Replace('-', '+').Replace('_', '/');
        return Convert.FromBase64String(s + new string('=', (4 - s.Length % 4) % 4));
    }

    public static string ToBase64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static JsonElement Part(string token, int index) =>
        JsonDocument.Parse(Encoding.UTF8.GetString(FromBase64Url(token.Split('.')[index]))).RootElement.Clone();
}
