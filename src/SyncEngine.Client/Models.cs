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

/// <summary>An operator's access token from <c>/connect/token</c> (OAuth 2.0 client credentials).</summary>
public sealed record OperatorToken(
    [property: System.Text.Json.Serialization.JsonPropertyName("access_token")] string AccessToken,
    [property: System.Text.Json.Serialization.JsonPropertyName("token_type")] string TokenType,
    [property: System.Text.Json.Serialization.JsonPropertyName("expires_in")] int ExpiresIn,
    [property: System.Text.Json.Serialization.JsonPropertyName("scope")] string Scope);

/// <summary>An app's settings as the admin API shows them (docs/design.md, "Apps on one backend").</summary>
public sealed record AppSettings(
    string AppId,
    string Name,
    string ClaimPolicy = "open",
    string? Issuer = null,
    string? Audience = null,
    IReadOnlyList<string>? AllowedOrigins = null,
    int MaxSchemaVersion = 1,
    AppQuotas? Quotas = null,
    bool Suspended = false);

/// <summary>An app's quotas; null is the deployment's default.</summary>
public sealed record AppQuotas(
    long? MaxWorkspaces = null,
    long? MaxWorkspaceBytes = null,
    long? MaxAppBytes = null,
    long? MaxChangeBytes = null,
    int? MaxLiveStreamsPerClient = null,
    int? ClaimsPerMinutePerAddress = null);

/// <summary>
/// An app's usage (<c>GET /admin/apps/{appId}/usage</c>): its workspaces, the bytes and changes they store, pushes and
/// their bytes in the last 24 h, bytes pulls sent in the last 24 h, and live streams open now.
/// </summary>
public sealed record AppUsage(
    long Workspaces, long StoredBytes, long Changes, long PushesLast24h, long BytesInLast24h, long BytesOutLast24h, long LiveStreams);

/// <summary>One workspace in an app's list (<c>GET /admin/apps/{appId}/workspaces</c>): owner, size, activity, members.</summary>
public sealed record AdminWorkspaceItem(
    Guid WorkspaceId, Guid OwnerClientId, string? OwnerSubject, DateTimeOffset CreatedAt, long Head, long StoredBytes,
    DateTimeOffset? LastChangeAt, int Members);

/// <summary>A page of an app's workspaces; pass <c>NextCursor</c> for the next (null: the last page).</summary>
public sealed record AdminWorkspacePage(IReadOnlyList<AdminWorkspaceItem> Items, string? NextCursor);

/// <summary>A stored snapshot as operators see it: the seq it covers, its size, when it was stored.</summary>
public sealed record AdminSnapshot(long Covers, long Bytes, DateTimeOffset CreatedAt);

/// <summary>A member as operators see it (never a token).</summary>
public sealed record AdminMember(Guid ClientId, string? Scope, DateTimeOffset? ExpiresAt, DateTimeOffset? RevokedAt);

/// <summary>One workspace as operators see it (<c>GET /admin/workspaces/{id}</c>).</summary>
public sealed record AdminWorkspace(
    Guid WorkspaceId, string AppId, Guid OwnerClientId, string? OwnerSubject, DateTimeOffset CreatedAt, long Head, int SchemaVersion,
    long StoredBytes, DateTimeOffset? LastChangeAt, IReadOnlyList<AdminSnapshot> Snapshots, IReadOnlyList<AdminMember> Members);

/// <summary>A restored workspace: its id, app, owner, head, and the owner's new master token.</summary>
public sealed record RestoredWorkspace(Guid WorkspaceId, string AppId, Guid OwnerClientId, long Head, string Token);

/// <summary>What revoking a lost device ended: the workspaces of the app it had tokens in, and how many tokens.</summary>
public sealed record RevokedDevice(string AppId, Guid ClientId, IReadOnlyList<Guid> Workspaces, int Tokens);

/// <summary>
/// One of Auth's signing keys as operators see it (never its private part). <c>State</c>: <c>signing</c>,
/// <c>pending</c> (published, signs from <c>ActivatesAt</c>), <c>published</c> (no longer signs, its tokens still
/// verify) or <c>retired</c> (its tokens are refused).
/// </summary>
public sealed record SigningKeyInfo(string Kid, DateTimeOffset CreatedAt, DateTimeOffset ActivatesAt, DateTimeOffset? RetiredAt, string State);
