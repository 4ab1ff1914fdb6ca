namespace Services.Auth.Workspaces;

/// <summary>Auth's record of who owns a workspace: the one client that may hold its master token.</summary>
public sealed record WorkspaceOwner(Guid Id, Guid OwnerClientId, DateTimeOffset ClaimedAt);
