namespace SyncEngine.Contracts.Workspaces;

/// <summary>
/// A client claimed a new workspace and became its owner. Published by Workspace; consumed by Auth (records the owner)
/// and Sync (opens the workspace's change log).
/// </summary>
/// <param name="WorkspaceId">The workspace that was claimed.</param>
/// <param name="OwnerClientId">The client that owns it from now on.</param>
/// <param name="ClaimedAt">When Workspace committed the claim.</param>
public sealed record WorkspaceClaimed(Guid WorkspaceId, Guid OwnerClientId, DateTimeOffset ClaimedAt);
