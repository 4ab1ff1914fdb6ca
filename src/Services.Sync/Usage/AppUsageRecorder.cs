using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using Npgsql;
using Services.Sync.Changes;
using Services.Sync.Live;
using SyncEngine.Backend.Apps;
using SyncEngine.ServiceDefaults.Problems;

namespace Services.Sync.Usage;

/// <summary>
/// What the store cannot answer by itself for an app's usage: the pulls and pushes of the last 24 hours with their bytes,
/// and the live streams open. Each replica counts them in memory (no write per request; a crash loses at most one
/// flush interval of counts) and, every <c>Sync:UsageFlushEvery</c> (5 s), adds its counts
/// to the app's hourly row and replaces its own live-stream counts, so <c>GET /admin/apps/{appId}/usage</c> sums every
/// replica's. Rows of a replica that stopped age out of the live count after <see cref="LiveStreamsFreshFor"/>. Every
/// <c>Sync:AppTotalsEvery</c> (30 s: an aggregate over every log row) it also counts each app's workspaces and stored
/// bytes for the metrics (SyncMetrics.AppTotals).
/// </summary>
public sealed class AppUsageRecorder(
    NpgsqlDataSource db, HeadNotifications notifications, IOptions<SyncOptions> options, SyncMetrics metrics, AppDirectory apps,
    TimeProvider clock, ILogger<AppUsageRecorder> logger) : BackgroundService
{
    public static readonly TimeSpan LiveStreamsFreshFor = TimeSpan.FromSeconds(30);

    private readonly string _replica = $"{Environment.MachineName}:{Environment.ProcessId}:{Guid.NewGuid():N}";
    /// <summary>Per app, since the last flush: bytes sent by pulls, pulls, bytes stored by pushes, pushes.</summary>
    private readonly ConcurrentDictionary<string, long[]> _traffic = new(StringComparer.Ordinal);

    /// <summary>A pull of <paramref name="bytes"/> for <paramref name="appId"/> (counted, flushed later; no app known: not counted).</summary>
    public void Pulled(string? appId, long bytes) => Count(appId, 0, bytes);

    /// <summary>
    /// A push of <paramref name="bytes"/> stored for <paramref name="appId"/>. Counted as it is acknowledged, not read
    /// back from the changes: those a snapshot covers are pruned within the day, and the day's traffic was not smaller.
    /// </summary>
    public void Pushed(string? appId, long bytes) => Count(appId, 2, bytes);

    private void Count(string? appId, int at, long bytes)
    {
        if (appId is null)
        {
            return;
        }

        var counters = _traffic.GetOrAdd(appId, _ => new long[4]);
        Interlocked.Add(ref counters[at], bytes);
        Interlocked.Increment(ref counters[at + 1]);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.UsageFlushEvery);
        DateTimeOffset? counted = null;
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await FlushAsync(stoppingToken);
                if (counted is null || clock.GetUtcNow() - counted >= options.Value.AppTotalsEvery)
                {
                    metrics.AppTotals(await CountAppTotalsAsync(stoppingToken));
                    counted = clock.GetUtcNow();
                }
            }
            // Any exception, not only an outage's: one escaping a background loop would stop the whole service.
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                // The counts stay in memory (bytes) or are recounted (streams) and go with the next flush.
                logger.LogWarning(e, "Could not record app usage");
            }
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        try
        {
            await FlushAsync(cancellationToken);
            await using var gone = db.CreateCommand($"delete from {SyncSchema.LiveStreams} where replica = $1");
            gone.Parameters.AddWithValue(_replica);
            await gone.ExecuteNonQueryAsync(cancellationToken);
        }
        // ObjectDisposedException: the data source was disposed before this ran (seen once as a test host was torn down);
        // a stop must still complete, and what was not written is lost as on a crash.
        catch (Exception e) when (e is NpgsqlException or TimeoutException or OperationCanceledException or ObjectDisposedException)
        {
            logger.LogWarning(e, "Could not record app usage at shutdown");
        }
    }

    /// <summary>Each app's workspaces and stored bytes; logs of no recorded app are the default app's.</summary>
    private async Task<IReadOnlyList<SyncMetrics.AppTotal>> CountAppTotalsAsync(CancellationToken ct)
    {
        await using var count = db.CreateCommand(
            $"select coalesce(app_id, $1), count(*), coalesce(sum(stored_bytes), 0)::bigint from {SyncSchema.Logs} group by 1");
        count.Parameters.AddWithValue(apps.DefaultAppId.Length > 0 ? apps.DefaultAppId : "none");
        await using var reader = await count.ExecuteReaderAsync(ct);
        var totals = new List<SyncMetrics.AppTotal>();
        while (await reader.ReadAsync(ct))
        {
            totals.Add(new SyncMetrics.AppTotal(reader.GetString(0), reader.GetInt64(1), reader.GetInt64(2)));
        }

        return totals;
    }

    private async Task FlushAsync(CancellationToken ct)
    {
        await using var batch = db.CreateBatch();
        var taken = new List<(string AppId, long[] Counts)>();
        foreach (var (appId, counters) in _traffic)
        {
            var counts = counters.Select((_, i) => Interlocked.Exchange(ref counters[i], 0)).ToArray();
            if (counts[1] == 0 && counts[3] == 0)
            {
                continue;
            }

            taken.Add((appId, counts));
            var add = new NpgsqlBatchCommand(
                $"insert into {SyncSchema.AppTraffic} (app_id, hour, bytes_out, pulls, bytes_in, pushes) values ($1, date_trunc('hour', now()), $2, $3, $4, $5) " +
                "on conflict (app_id, hour) do update set bytes_out = app_traffic.bytes_out + excluded.bytes_out, pulls = app_traffic.pulls + excluded.pulls, " +
                "bytes_in = app_traffic.bytes_in + excluded.bytes_in, pushes = app_traffic.pushes + excluded.pushes");
            add.Parameters.AddWithValue(appId);
            foreach (var count in counts)
            {
                add.Parameters.AddWithValue(count);
            }

            batch.BatchCommands.Add(add);
        }

        var mine = new NpgsqlBatchCommand($"delete from {SyncSchema.LiveStreams} where replica = $1");
        mine.Parameters.AddWithValue(_replica);
        batch.BatchCommands.Add(mine);
        foreach (var (appId, streams) in notifications.StreamsByApp())
        {
            var live = new NpgsqlBatchCommand($"insert into {SyncSchema.LiveStreams} (replica, app_id, streams, seen_at) values ($1, $2, $3, now())");
            live.Parameters.AddWithValue(_replica);
            live.Parameters.AddWithValue(appId);
            live.Parameters.AddWithValue(streams);
            batch.BatchCommands.Add(live);
        }

        var stale = new NpgsqlBatchCommand($"delete from {SyncSchema.LiveStreams} where seen_at < now() - interval '1 hour'");
        batch.BatchCommands.Add(stale);
        try
        {
            await batch.ExecuteNonQueryAsync(ct);
        }
        catch
        {
            // Not written: the counts go with the next flush.
            foreach (var (appId, counts) in taken)
            {
                var counters = _traffic.GetOrAdd(appId, _ => new long[4]);
                for (var i = 0; i < counts.Length; i++)
                {
                    Interlocked.Add(ref counters[i], counts[i]);
                }
            }

            throw;
        }
    }
}
