using System.Threading.Channels;
using Npgsql;
using SyncEngine.ServiceDefaults.Problems;

namespace Services.Sync.Live;

/// <summary>
/// Tells every replica's live streams about new heads, after the push committed. NOTIFY inside the push transaction
/// made PostgreSQL hold its notify-queue lock through each commit's WAL flush, so pushes committed one at a time
/// (10.9k → 2.7k commits/s at 32 clients in pgbench, docs/benchmarks.md). Here notifications leave in their own
/// notify-only transactions, which write no WAL, and a burst of heads becomes one round trip with one NOTIFY per
/// workspace (its newest seq). A notification lost in a crash between commit and announcement is made good by the
/// live stream's heartbeat, which re-reads the head.
/// </summary>
public sealed class HeadAnnouncer(NpgsqlDataSource db, ILogger<HeadAnnouncer> logger) : BackgroundService
{
    private readonly Channel<(Guid WorkspaceId, long Seq)> _heads =
        Channel.CreateUnbounded<(Guid, long)>(new UnboundedChannelOptions { SingleReader = true });

    public void Announce(Guid workspaceId, long seq) => _heads.Writer.TryWrite((workspaceId, seq));

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var newest = new Dictionary<Guid, long>();
        while (await _heads.Reader.WaitToReadAsync(stoppingToken))
        {
            newest.Clear();
            while (_heads.Reader.TryRead(out var head))
            {
                newest[head.WorkspaceId] = Math.Max(head.Seq, newest.GetValueOrDefault(head.WorkspaceId));
            }

            try
            {
                await using var batch = db.CreateBatch();
                foreach (var (workspaceId, seq) in newest)
                {
                    var notify = new NpgsqlBatchCommand("select pg_notify($1, $2)");
                    notify.Parameters.AddWithValue(HeadNotifications.HeadChannel);
                    notify.Parameters.AddWithValue(HeadNotifications.Payload(workspaceId, seq));
                    batch.BatchCommands.Add(notify);
                }

                await batch.ExecuteNonQueryAsync(stoppingToken);
            }
            catch (Exception e) when ((DatabaseOutage.Is(e) || e is NpgsqlException or System.IO.IOException or TimeoutException) && !stoppingToken.IsCancellationRequested)
            {
                logger.LogWarning(e, "Could not announce {Count} new heads; live streams pick them up at their next heartbeat", newest.Count);
            }
        }
    }
}
