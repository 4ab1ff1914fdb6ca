namespace SyncEngine.Contracts.Auth;

/// <summary>
/// The owner ended its other master tokens: exactly the tokens listed are invalid from now on, the owner's other tokens
/// (the one it called with) stay valid. Published by Auth; consumed by Workspace (access checks) and Sync (access
/// checks, live streams).
/// </summary>
/// <param name="WorkspaceId">The workspace.</param>
/// <param name="OwnerClientId">The owner, whose master tokens they were.</param>
/// <param name="TokenIds">The ids (<c>jti</c>) of the master tokens revoked.</param>
/// <param name="RevokedAt">When.</param>
public sealed record MasterTokensRevoked(Guid WorkspaceId, Guid OwnerClientId, IReadOnlyList<Guid> TokenIds, DateTimeOffset RevokedAt);
