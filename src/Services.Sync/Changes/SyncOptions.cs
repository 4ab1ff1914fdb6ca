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

    /// <summary>How often each replica records the pull bytes and live streams it counted for app usage.</summary>
    public TimeSpan UsageFlushEvery { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How often each replica counts every app's workspaces and stored bytes for its metrics (an aggregate over every log).</summary>
    public TimeSpan AppTotalsEvery { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// The newest document schema version a released client writes; a push above it is refused (unknown-version), so no
    /// writer can move a workspace to a version every real client is then refused at (outdated-version) forever. The
    /// default is the demo app's version (src/Client.Web/src/schema.ts): any larger default would leave exactly that
    /// lock-out open between the real newest and the default. A deployment raises it with each app release; once apps
    /// exist, the app's own maxSchemaVersion takes its place (MaxSchemaVersion.cs).
    /// </summary>
    public int MaxSchemaVersion { get; set; } = 2;

    /// <summary>
    /// Largest a workspace's stored bytes (its changes' and snapshots' payloads) may grow; a push or snapshot beyond it
    /// is refused (quota-exceeded). 1 GiB is far above any document a browser keeps in IndexedDB, yet bounds the disk one
    /// claim can take.
    /// </summary>
    public long MaxWorkspaceBytes { get; set; } = 1024L * 1024 * 1024;

    /// <summary>
    /// Live streams one token may hold open on one replica; a newer one closes the oldest (LiveStreamLimit.cs). A device
    /// needs one per open workspace view; 4 leaves room for a few tabs.
    /// </summary>
    public int MaxLiveStreamsPerToken { get; set; } = 4;

    /// <summary>
    /// The default of an app's <c>maxAppBytes</c>, the stored bytes of all its workspaces (AppQuota.cs); unset, an app
    /// without its own is unlimited, because the limit makes an app's writes commit one at a time.
    /// </summary>
    public long? MaxAppBytes { get; set; }

    /// <summary>
    /// The default of an app's <c>maxLiveStreamsPerClient</c>: the live streams one client (a device, across its
    /// workspaces of the app) may hold on one replica; beyond it a new stream is refused (LiveStreamLimit.cs). Unset:
    /// only the per-token limit.
    /// </summary>
    public int? MaxLiveStreamsPerClient { get; set; }

    /// <summary>Workspaces one socket may follow at once (docs/protocol.md, "Realtime channel"); a device with more opens another socket.</summary>
    public int MaxSubscriptionsPerSocket { get; set; } = 256;

    /// <summary>
    /// Bytes that may wait to be sent on one socket (changes and answers); beyond it the device is disconnected (close 4008)
    /// and resumes from its cursors, so a device that stops reading cannot grow the server's memory. 4 MiB holds a burst
    /// of typical changes; catch-ups are read from the store as they are sent and do not count.
    /// </summary>
    public long SocketSendQueueBytes { get; set; } = 4 * 1024 * 1024;

    /// <summary>Messages one socket may send per second; beyond it the socket is closed (4029). Far above a device's typing rate.</summary>
    public int SocketMessagesPerSecond { get; set; } = 2000;

    /// <summary>
    /// Most pushes written in one transaction by group commit (ChangeWriter.cs); 1 turns group commit off. A batch is
    /// what queued meanwhile, so this bounds a commit's size, never a push's wait.
    /// </summary>
    public int GroupCommitMaxBatch { get; set; } = 64;

    /// <summary>
    /// The address this replica tells the gateway to reach it at (Replicas/ReplicaRegistry.cs), so the gateway sends
    /// to it straight instead of through a load balancer in between. Unset, nothing is advertised unless
    /// <see cref="AdvertiseListenAddress"/> is on.
    /// </summary>
    public string? AdvertisedAddress { get; set; }

    /// <summary>
    /// Advertise the address the replica listens on (its first <c>http://</c> URL): right when the gateway runs on the
    /// same host, as under the development AppHost, where each replica gets a loopback port of its own.
    /// </summary>
    public bool AdvertiseListenAddress { get; set; }
}
