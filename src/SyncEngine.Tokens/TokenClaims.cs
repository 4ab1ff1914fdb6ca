using Duende.IdentityModel;

namespace SyncEngine.Tokens;

/// <summary>The claims of a SyncEngine token (docs/design.md), by the JWT names Duende.IdentityModel defines where one exists.</summary>
public static class TokenClaims
{
    public const string Subject = JwtClaimTypes.Subject;
    public const string JwtId = JwtClaimTypes.JwtId;
    public const string IssuedAt = JwtClaimTypes.IssuedAt;
    public const string Scope = JwtClaimTypes.Scope;
    public const string WorkspaceId = "wid";
    public const string Master = "master";
    /// <summary>The app the workspace belongs to (docs/design.md, "Apps on one backend"); absent in tokens issued before apps.</summary>
    public const string App = "app";

    public const string Algorithm = "ES256";
    public const string DefaultIssuer = "syncengine";
    public const string Audience = "syncengine-api";
}

public static class Scopes
{
    public const string Read = "read";
    public const string ReadWrite = "read_write";

    public static bool IsKnown(string? scope) => scope is Read or ReadWrite;
}
