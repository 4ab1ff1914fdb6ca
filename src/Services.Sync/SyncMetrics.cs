using System.Diagnostics.Metrics;

namespace Services.Sync;

/// <summary>Sync's OpenTelemetry instruments (meter <c>SyncEngine.Sync</c>, exported by ServiceDefaults).</summary>
public sealed class SyncMetrics
{
    public const string MeterName = "SyncEngine.Sync";

    private readonly Counter<long> _pushes;
    private readonly Counter<long> _bytesIn;
    private readonly Counter<long> _bytesOut;
    private readonly Counter<long> _pulls;
    private readonly Counter<long> _rejected;
    private readonly UpDownCounter<long> _liveSubscribers;
    private readonly Histogram<long> _commitBatch;
    private IReadOnlyList<AppTotal> _appTotals = [];

    public SyncMetrics(IMeterFactory meters)
    {
        var meter = meters.Create(MeterName);
        _pushes = meter.CreateCounter<long>("syncengine.sync.pushes", "{change}", "Changes committed");
        _bytesIn = meter.CreateCounter<long>("syncengine.sync.bytes_in", "By", "Change and snapshot bytes committed");
        _bytesOut = meter.CreateCounter<long>("syncengine.sync.bytes_out", "By", "Bytes sent by pulls");
        _pulls = meter.CreateCounter<long>("syncengine.sync.pulls", "{pull}", "Pulls answered");
        _rejected = meter.CreateCounter<long>("syncengine.sync.rejected", "{request}", "Requests refused, by problem code");
        _liveSubscribers = meter.CreateUpDownCounter<long>("syncengine.sync.live_subscribers", "{stream}", "Open live event streams");
        _commitBatch = meter.CreateHistogram<long>(CommitBatchInstrument, "{push}", "Pushes written together by one group commit",
            advice: new InstrumentAdvice<long> { HistogramBucketBoundaries = [1, 2, 4, 8, 16, 32, 64] });
        // What the store holds per app, as the last count read it (AppUsageRecorder, every Sync:AppTotalsEvery). Every
        // replica reports the same deployment-wide value: a dashboard takes one (max), not the sum, of replicas.
        meter.CreateObservableGauge("syncengine.sync.app.stored",
            () => Volatile.Read(ref _appTotals).Select(t => new Measurement<long>(t.StoredBytes, App(t.AppId))), "By",
            "Payload bytes the app's workspaces store (changes and snapshots), deployment-wide");
        meter.CreateObservableGauge("syncengine.sync.app.workspaces",
            () => Volatile.Read(ref _appTotals).Select(t => new Measurement<long>(t.Workspaces, App(t.AppId))), "{workspace}",
            "The app's workspaces with a change log, deployment-wide");
    }

    /// <summary>One app's totals as the store holds them.</summary>
    public sealed record AppTotal(string AppId, long Workspaces, long StoredBytes);

    /// <summary>Takes the newest count of every app's workspaces and stored bytes.</summary>
    public void AppTotals(IReadOnlyList<AppTotal> totals) => Volatile.Write(ref _appTotals, totals);

    // Every instrument carries the app (docs/design.md, "Apps on one backend"): "none" where a token has no app and the
    // deployment names no default.
    private static KeyValuePair<string, object?> App(string? app) => new("app", app ?? "none");

    public void Pushed(int bytes, string? app = null)
    {
        _pushes.Add(1, App(app));
        _bytesIn.Add(bytes, App(app));
    }

    public void SnapshotStored(int bytes, string? app = null) =>
        _bytesIn.Add(bytes, new KeyValuePair<string, object?>("kind", "snapshot"), App(app));

    public void Pulled(long bytes, string? app = null)
    {
        _pulls.Add(1, App(app));
        _bytesOut.Add(bytes, App(app));
    }

    public void Rejected(string code, string? app = null) => _rejected.Add(1, new KeyValuePair<string, object?>("code", code), App(app));

    public const string CommitBatchInstrument = "syncengine.sync.commit_batch";

    public void CommitBatch(int pushes) => _commitBatch.Record(pushes);

    public void SubscriberOpened(string? app = null) => _liveSubscribers.Add(1, App(app));

    public void SubscriberClosed(string? app = null) => _liveSubscribers.Add(-1, App(app));
}
