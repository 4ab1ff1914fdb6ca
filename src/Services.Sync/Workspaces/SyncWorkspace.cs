namespace Services.Sync.Workspaces;

/// <summary>Sync's view of a claimed workspace: its change log's head and the schema version apps must be at.</summary>
public sealed record SyncWorkspace(Guid Id, Guid OwnerClientId, long Head, int SchemaVersion, DateTimeOffset OpenedAt);
