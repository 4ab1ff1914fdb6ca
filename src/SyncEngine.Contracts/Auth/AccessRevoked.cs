namespace SyncEngine.Contracts.Auth;

/// <summary>
/// The owner revoked a client's access: every token of (workspace, client) issued at or before <paramref name="RevokedAt"/>,
/// and every token listed in <paramref name="TokenIds"/>, is invalid from now on. Published by Auth; consumed by Workspace
/// (history, access checks) and Sync (access checks, live streams).
/// </summary>
/// <param name="WorkspaceId">The workspace.</param>
/// <param name="ClientId">The client whose access ends.</param>
/// <param name="RevokedBy">The client (the owner) that revoked it.</param>
/// <param name="RevokedAt">The revocation instant; tokens with <c>iat</c> at or before it are refused.</param>
/// <param name="TokenIds">
/// The ids (<c>jti</c>) of every token of the pair Auth knew at the revocation, refused whatever their <c>iat</c>: a token
/// granted again within the revocation's second carries the next second. Null in messages sent before it existed.
/// </param>
public sealed record AccessRevoked(
    Guid WorkspaceId, Guid ClientId, Guid RevokedBy, DateTimeOffset RevokedAt, IReadOnlyList<Guid>? TokenIds = null);
