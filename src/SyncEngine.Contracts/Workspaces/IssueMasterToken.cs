namespace SyncEngine.Contracts.Workspaces;

/// <summary>
/// Request (Workspace to Auth, request/reply) for the owner's master token after a claim was committed.
/// Auth answers with <see cref="SyncEngine.Contracts.Auth.MasterTokenIssued"/>.
/// </summary>
/// <param name="WorkspaceId">The claimed workspace.</param>
/// <param name="OwnerClientId">Its owner, the token's subject.</param>
/// <param name="AppId">The workspace's app, for the token's <c>app</c> claim; null in messages sent before apps existed (the default app).</param>
public sealed record IssueMasterToken(Guid WorkspaceId, Guid OwnerClientId, string? AppId = null);
