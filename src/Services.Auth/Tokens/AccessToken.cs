namespace Services.Auth.Tokens;

/// <summary>
/// A client's access to a workspace, from the grant (with its single-use invite, stored only as a SHA-256 hash) through
/// the token minted when the invite is redeemed, to its revocation. The owner's master tokens are rows too.
/// The signed token itself is never stored.
/// </summary>
public sealed class AccessToken
{
    public Guid Id { get; set; }
    public Guid WorkspaceId { get; set; }
    /// <summary>The workspace's app, carried as the token's <c>app</c> claim; null for grants made before apps (the default app).</summary>
    public string? AppId { get; set; }
    public Guid ClientId { get; set; }
    public string Scope { get; set; } = "";
    public bool IsMaster { get; set; }
    public Guid GrantedBy { get; set; }
    public DateTimeOffset GrantedAt { get; set; }
    public DateTimeOffset? ExpiresAt { get; set; }
    public string? InviteCodeHash { get; set; }
    public DateTimeOffset? InviteExpiresAt { get; set; }
    public DateTimeOffset? IssuedAt { get; set; }
    public DateTimeOffset? RevokedAt { get; set; }

    public string StatusAt(DateTimeOffset now) =>
        RevokedAt is not null ? "revoked"
        : ExpiresAt <= now ? "expired"
        : IssuedAt is not null ? "active"
        : InviteExpiresAt <= now ? "invite-expired"
        : "pending";
}
