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
/// A small change travels with its bytes (<see cref="HeadNotifications.Payload(Guid, long, Guid, byte[])"/>), so the
/// other replicas' sockets send it on without reading it back: one NOTIFY instead of a query per replica.
/// </summary>
public sealed class HeadAnnouncer(NpgsqlDataSource db, HeadNotifications notifications, ILogger<HeadAnnouncer> logger) : BackgroundService
{
    /// <summary>
    /// Changes up to this size are announced with their bytes (base64, a third larger): PostgreSQL takes payloads below
    /// 8000 bytes, and typing produces changes of tens to hundreds of bytes.
    /// </summary>
    public const int BytesInPayloadAtMost = 3 * 1024;

    private readonly Channel<(Guid WorkspaceId, long Seq, byte[]? Data)> _heads =
        Channel.CreateUnbounded<(Guid, long, byte[]?)>(new UnboundedChannelOptions { SingleReader = true });

    /// <summary>Announces a committed seq; with its bytes when they are given and small enough.</summary>
    public void Announce(Guid workspaceId, long seq, byte[]? data = null) =>
        _heads.Writer.TryWrite((workspaceId, seq, data is { Length: <= BytesInPayloadAtMost } ? data : null));

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var newest = new Dictionary<Guid, long>();
        var withBytes = new List<string>();
        while (await _heads.Reader.WaitToReadAsync(stoppingToken))
        {
            newest.Clear();
            withBytes.Clear();
            while (_heads.Reader.TryRead(out var head))
            {
                if (head.Data is { } data)
                {
                    withBytes.Add(HeadNotifications.Payload(head.WorkspaceId, head.Seq, notifications.ReplicaId, data));
                }
                else
                {
                    newest[head.WorkspaceId] = Math.Max(head.Seq, newest.GetValueOrDefault(head.WorkspaceId));
                }
            }

            try
            {
                await using var batch = db.CreateBatch();
                foreach (var payload in withBytes.Concat(newest.Select(n => HeadNotifications.Payload(n.Key, n.Value))))
                {
                    var notify = new NpgsqlBatchCommand("select pg_notify($1, $2)");
                    notify.Parameters.AddWithValue(HeadNotifications.HeadChannel);
                    notify.Parameters.AddWithValue(payload);
                    batch.BatchCommands.Add(notify);
                }

                await batch.ExecuteNonQueryAsync(stoppingToken);
            }
            // Any exception, not only an outage's: one escaping a background loop would stop the whole service.
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                logger.LogWarning(e, "Could not announce {Count} new heads; live streams pick them up at their next heartbeat", newest.Count + withBytes.Count);
            }
        }
    }
}
