namespace SyncEngine.Contracts.Workspaces;

/// <summary>
/// A client claimed a new workspace and became its owner. Published by Workspace; consumed by Auth (records the owner)
/// and Sync (opens the workspace's change log).
/// </summary>
/// <param name="WorkspaceId">The workspace that was claimed.</param>
/// <param name="OwnerClientId">The client that owns it from now on.</param>
/// <param name="ClaimedAt">When Workspace committed the claim.</param>
/// <param name="AppId">The app the workspace belongs to; null in messages sent before apps existed (the default app).</param>
/// <param name="OwnerSubject">The <c>sub</c> of the app's own JWT the claim carried (app-token apps), else null.</param>
public sealed record WorkspaceClaimed(
    Guid WorkspaceId, Guid OwnerClientId, DateTimeOffset ClaimedAt, string? AppId = null, string? OwnerSubject = null);
