namespace Services.Workspace.Workspaces;

// The stream's events are this service's own: other services learn of them only through the contracts a handler
// publishes (WorkspaceClaimed), so they can change shape without a cross-service migration.

/// <summary>
/// A client claimed the workspace and owns it. <see cref="ClaimKeyHash"/> is the SHA-256 (hex) of the claim's
/// Idempotency-Key: the key lets its holder get the master token again, so only its hash is stored.
/// </summary>
/// <param name="AppId">The app it belongs to; null in events written before apps (the default app).</param>
/// <param name="OwnerSubject">The <c>sub</c> of the app's own JWT on an app-token claim, else null.</param>
public sealed record WorkspaceCreated(
    Guid WorkspaceId, Guid OwnerClientId, string? ClaimKeyHash, DateTimeOffset CreatedAt, string? AppId = null, string? OwnerSubject = null)
{
    /// <summary>The key itself, in events written before only its hash was kept (read, never written).</summary>
    public string? ClaimKey { get; init; }
}

/// <summary>The owner granted a client access (Auth's AccessGranted); one event per token id.</summary>
public sealed record MemberGranted(
    Guid ClientId, Guid TokenId, string Scope, DateTimeOffset? ExpiresAt, Guid GrantedBy, DateTimeOffset At);

/// <summary>The owner revoked every token of a client issued at or before <see cref="At"/> (Auth's AccessRevoked).</summary>
public sealed record MemberRevoked(Guid ClientId, Guid RevokedBy, DateTimeOffset At);

/// <summary>The owner ended its other master tokens (Auth's MasterTokensRevoked); the owner keeps its access.</summary>
public sealed record MasterTokensEnded(IReadOnlyList<Guid> TokenIds, Guid RevokedBy, DateTimeOffset At);

/// <summary>The workspace aggregate, rebuilt from its stream and kept inline as a snapshot document.</summary>
public sealed class Workspace
{
    public Guid Id { get; set; }
    public Guid OwnerClientId { get; set; }
    // Null for workspaces claimed before claims carried a key, and once the owner ended its other master tokens:
    // no retry can match them.
    public string? ClaimKeyHash { get; set; }
    // The plain key, only in snapshots written before keys were hashed; ClaimWorkspace hashes it when it compares.
    public string? ClaimKey { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    /// <summary>Null for workspaces claimed before apps: they belong to the default app.</summary>
    public string? AppId { get; set; }
    public string? OwnerSubject { get; set; }
    public int Version { get; set; }
    public List<Member> Members { get; set; } = [];
    public List<Guid> EndedMasterTokenIds { get; set; } = [];

    public Member? FindMember(Guid clientId) => Members.Find(m => m.ClientId == clientId);

    public static Workspace Create(WorkspaceCreated created) => new()
    {
        Id = created.WorkspaceId,
        OwnerClientId = created.OwnerClientId,
        ClaimKeyHash = created.ClaimKeyHash ?? (created.ClaimKey is { } plain ? ClaimWorkspace.HashKey(plain) : null),
        CreatedAt = created.CreatedAt,
        AppId = created.AppId,
        OwnerSubject = created.OwnerSubject,
    };

    // Auth's grant and revoke messages travel separately and may arrive in either order, so state follows the
    // events' own times rather than their order in the stream: the newest grant sets scope and expiry, and a member
    // is revoked while its newest revocation is at or after its newest grant.
    public void Apply(MemberGranted granted)
    {
        var member = MemberFor(granted.ClientId);
        member.TokenIds.Add(granted.TokenId);
        if (member.GrantedAt is null || member.GrantedAt <= granted.At)
        {
            member.Scope = granted.Scope;
            member.ExpiresAt = granted.ExpiresAt;
            member.GrantedAt = granted.At;
        }
    }

    public void Apply(MemberRevoked revoked)
    {
        // A revocation that overtook its grant still creates the member, so the late grant arrives already revoked.
        var member = MemberFor(revoked.ClientId);
        if (member.LastRevokedAt is null || member.LastRevokedAt < revoked.At)
        {
            member.LastRevokedAt = revoked.At;
        }
    }

    public void Apply(MasterTokensEnded ended)
    {
        EndedMasterTokenIds.AddRange(ended.TokenIds.Except(EndedMasterTokenIds));
        // Each claim retry mints another master token, so a thief holding the claim's key would mint a fresh one right
        // after the owner ended the others: ending them ends the claim's retries too (ClaimWorkspace.Decide finds no key).
        ClaimKeyHash = null;
        ClaimKey = null;
    }

    private Member MemberFor(Guid clientId)
    {
        if (FindMember(clientId) is { } member)
        {
            return member;
        }

        member = new Member { ClientId = clientId };
        Members.Add(member);
        return member;
    }
}

/// <summary>A client the owner gave access to. Scope and GrantedAt stay null while only a revocation is known.</summary>
public sealed class Member
{
    public Guid ClientId { get; set; }
    public string? Scope { get; set; }
    public DateTimeOffset? ExpiresAt { get; set; }
    public DateTimeOffset? GrantedAt { get; set; }
    public DateTimeOffset? LastRevokedAt { get; set; }
    public List<Guid> TokenIds { get; set; } = [];

    // Methods rather than properties so they stay out of the stored snapshot document.
    public DateTimeOffset? RevokedAt() => LastRevokedAt >= GrantedAt || GrantedAt is null ? LastRevokedAt : null;

    public bool IsRevoked() => RevokedAt() is not null;
}
