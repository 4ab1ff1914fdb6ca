namespace Services.Sync.Changes;

/// <summary>Limits and compaction settings (section <c>Sync</c>).</summary>
public sealed class SyncOptions
{
    /// <summary>Largest change a push may carry. Loro updates of a typing session are a few KB; 4 MiB leaves room for pastes.</summary>
    public int MaxChangeBytes { get; set; } = 4 * 1024 * 1024;

    /// <summary>Largest snapshot; must not exceed the gateway's body limit (16 MiB).</summary>
    public int MaxSnapshotBytes { get; set; } = 16 * 1024 * 1024;

    /// <summary>How long changes covered by a snapshot are kept, so clients a little behind still pull deltas.</summary>
    public TimeSpan CoveredChangeRetention { get; set; } = TimeSpan.FromDays(7);

    /// <summary>How often covered changes older than the retention are pruned.</summary>
    public TimeSpan PruneEvery { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How often an idle live stream gets a comment line, so proxies and clients know it is alive.</summary>
    public TimeSpan HeartbeatEvery { get; set; } = TimeSpan.FromSeconds(15);
}
