namespace SyncEngine.Contracts.Auth;

/// <summary>The owner granted a client access to a workspace (an invite was created). Published by Auth; consumed by Workspace (history).</summary>
/// <param name="WorkspaceId">The workspace.</param>
/// <param name="TokenId">The id the client's token will carry once the invite is redeemed.</param>
/// <param name="ClientId">The client given access.</param>
/// <param name="Scope"><c>read</c> or <c>read_write</c>.</param>
/// <param name="ExpiresAt">When the access ends, if it does.</param>
/// <param name="GrantedBy">The client (the owner) that granted it.</param>
/// <param name="GrantedAt">When.</param>
public sealed record AccessGranted(
    Guid WorkspaceId, Guid TokenId, Guid ClientId, string Scope, DateTimeOffset? ExpiresAt, Guid GrantedBy, DateTimeOffset GrantedAt);
