namespace Services.Auth.Workspaces;

/// <summary>Auth's record of who owns a workspace: the one client that may hold its master token.</summary>
/// <param name="AppId">The workspace's app; null for workspaces claimed before apps (the default app).</param>
public sealed record WorkspaceOwner(Guid Id, Guid OwnerClientId, DateTimeOffset ClaimedAt, string? AppId = null);
