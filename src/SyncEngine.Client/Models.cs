namespace SyncEngine.Client;

/// <summary>A claimed workspace and its owner's master token.</summary>
public sealed record ClaimedWorkspace(Guid WorkspaceId, Guid OwnerClientId, DateTimeOffset CreatedAt, string Token);

/// <summary>A grant: the token id the client will hold, and the single-use invite it redeems.</summary>
public sealed record AccessGrant(
    Guid TokenId, Guid ClientId, string Scope, DateTimeOffset? ExpiresAt, string InviteCode, DateTimeOffset InviteExpiresAt, string JoinPath);

/// <summary>The token a client got by redeeming an invite.</summary>
public sealed record JoinedWorkspace(string Token, Guid TokenId, string Scope, DateTimeOffset? ExpiresAt);

/// <summary>One row of a workspace's access list (never the token itself).</summary>
public sealed record TokenSummary(
    Guid TokenId, Guid ClientId, string Scope, bool IsMaster, string Status, DateTimeOffset GrantedAt,
    DateTimeOffset? IssuedAt, DateTimeOffset? ExpiresAt, DateTimeOffset? RevokedAt, DateTimeOffset? InviteExpiresAt);
