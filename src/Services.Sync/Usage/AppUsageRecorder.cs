using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using Npgsql;
using Services.Sync.Changes;
using Services.Sync.Live;
using SyncEngine.Backend.Apps;
using SyncEngine.ServiceDefaults.Problems;

namespace Services.Sync.Usage;

/// <summary>
/// What the store cannot answer by itself for an app's usage: the bytes pulls sent and the live streams open. Each
/// replica counts them in memory (a pull costs no write) and, every <c>Sync:UsageFlushEvery</c> (5 s), adds its bytes
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
    private readonly ConcurrentDictionary<string, long[]> _pulled = new(StringComparer.Ordinal);

    /// <summary>A pull of <paramref name="bytes"/> for <paramref name="appId"/> (counted, flushed later).</summary>
    public void Pulled(string appId, long bytes)
    {
        var counters = _pulled.GetOrAdd(appId, _ => new long[2]);
        Interlocked.Add(ref counters[0], bytes);
        Interlocked.Increment(ref counters[1]);
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
        catch (Exception e) when (e is NpgsqlException or TimeoutException or OperationCanceledException)
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
        foreach (var (appId, counters) in _pulled)
        {
            var (bytes, pulls) = (Interlocked.Exchange(ref counters[0], 0), Interlocked.Exchange(ref counters[1], 0));
            if (pulls == 0)
            {
                continue;
            }

            var add = new NpgsqlBatchCommand(
                $"insert into {SyncSchema.AppTraffic} (app_id, hour, bytes_out, pulls) values ($1, date_trunc('hour', now()), $2, $3) " +
                "on conflict (app_id, hour) do update set bytes_out = app_traffic.bytes_out + excluded.bytes_out, pulls = app_traffic.pulls + excluded.pulls");
            add.Parameters.AddWithValue(appId);
            add.Parameters.AddWithValue(bytes);
            add.Parameters.AddWithValue(pulls);
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
        await batch.ExecuteNonQueryAsync(ct);
    }
}
