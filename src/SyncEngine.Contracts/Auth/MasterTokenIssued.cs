namespace SyncEngine.Contracts.Auth;

/// <summary>Auth's reply to <see cref="SyncEngine.Contracts.Workspaces.IssueMasterToken"/>: the owner's signed master token.</summary>
/// <param name="WorkspaceId">The workspace.</param>
/// <param name="TokenId">The token's id (its <c>jti</c>).</param>
/// <param name="Token">The signed JWT.</param>
/// <param name="IssuedAt">When Auth issued it.</param>
public sealed record MasterTokenIssued(Guid WorkspaceId, Guid TokenId, string Token, DateTimeOffset IssuedAt);
