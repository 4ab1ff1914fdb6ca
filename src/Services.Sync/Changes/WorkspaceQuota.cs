namespace Services.Sync.Changes;

/// <summary>
/// Sync:MaxWorkspaceBytes: the payload bytes of a workspace's changes and snapshots. Counted in its log row and decided
/// under that row's lock (SyncSchema.LockFunctionSql), so concurrent writers on any replica never together pass it.
/// </summary>
public static class WorkspaceQuota
{
    public const string Name = "maxWorkspaceBytes";

    /// <summary>Whether a write that adds <paramref name="adding"/> bytes and frees <paramref name="freeing"/> stays within the limit.</summary>
    public static bool Allows(long used, long adding, long freeing, long limit) => used - freeing + adding <= limit;
}
