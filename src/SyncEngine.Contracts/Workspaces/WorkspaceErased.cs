namespace SyncEngine.Contracts.Workspaces;

/// <summary>
/// A workspace was erased: its owner or an operator asked for everything of it to go. Published by Workspace (which
/// has already erased its own part in the same transaction); Auth and Sync erase theirs when they handle it, however
/// late (a service that was down does it when it comes back), and keep only a tombstone from then on.
/// </summary>
/// <param name="WorkspaceId">The workspace that was erased.</param>
/// <param name="ErasedBy">Who asked: <c>owner:{clientId}</c> or <c>operator:{clientId}</c>.</param>
/// <param name="ErasedAt">When Workspace committed the erasure.</param>
public sealed record WorkspaceErased(Guid WorkspaceId, string ErasedBy, DateTimeOffset ErasedAt);
