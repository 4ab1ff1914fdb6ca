using System.Security.Cryptography;
using System.Text;
using Microsoft.IdentityModel.Tokens;

namespace Services.Auth.Invites;

/// <summary>256 random bits, base64url; only the SHA-256 is stored, so a database leak does not leak usable invites.</summary>
public static class InviteCode
{
    public static readonly TimeSpan DefaultLifetime = TimeSpan.FromDays(7);

    public static string New() => Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(32));

    public static string Hash(string code) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(code)));

    /// <summary>The web client's join link: the code rides in the fragment, which browsers never send to a server.</summary>
    public static string JoinPath(Guid workspaceId, string code) => $"/join/{workspaceId}#{code}";
}
