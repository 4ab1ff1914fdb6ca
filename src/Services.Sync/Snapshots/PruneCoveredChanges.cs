using Microsoft.Extensions.Options;
using Npgsql;
using Services.Sync.Changes;
using SyncEngine.ServiceDefaults.Problems;

namespace Services.Sync.Snapshots;

/// <summary>
/// Deletes a change once a snapshot covering it has been stored for longer than the retention window (the window starts
/// when the first snapshot covering the change is stored, not when the change was pushed, so a client that was a little
/// behind when the snapshot arrived still has the whole window to pull deltas), and moves the log's pruned point so
/// pulls from before it get the snapshot. Safe on every replica at once: deletes are idempotent. The freed bytes leave
/// the log's stored-bytes count in the same statement; its update waits for the row lock a push or snapshot holds and
/// then applies to the committed count, so the count stays exact (a count not yet computed stays null, and is computed
/// from what is left).
/// </summary>
public sealed class PruneCoveredChanges(NpgsqlDataSource db, IOptions<SyncOptions> options, ILogger<PruneCoveredChanges> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.PruneEvery);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                var pruned = await PruneAsync(stoppingToken);
                if (pruned > 0)
                {
                    logger.LogInformation("Pruned {Count} changes covered by snapshots", pruned);
                }
            }
            // Any exception, not only an outage's: one escaping a background loop would stop the whole service.
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                logger.LogWarning(e, "Pruning covered changes failed; retrying next round");
            }
        }
    }

    public async Task<int> PruneAsync(CancellationToken ct)
    {
        await using var command = db.CreateCommand(
            $"""
            with expired as (
                select workspace_id, max(covers) as covers from {SyncSchema.Snapshots}
                where created_at < now() - $1::interval group by workspace_id
            ), deleted as (
                delete from {SyncSchema.Changes} c using expired e
                where c.workspace_id = e.workspace_id and c.seq <= e.covers
                returning c.workspace_id, c.seq, octet_length(c.data)::bigint as bytes
            ), moved as (
                update {SyncSchema.Logs} l set pruned_through = greatest(l.pruned_through, d.through), stored_bytes = l.stored_bytes - d.bytes
                from (select workspace_id, max(seq) as through, sum(bytes) as bytes from deleted group by workspace_id) d
                where l.workspace_id = d.workspace_id
                returning 1
            )
            select count(*) from deleted
            """);
        command.Parameters.AddWithValue(options.Value.CoveredChangeRetention);
        return Convert.ToInt32(await command.ExecuteScalarAsync(ct));
    }
}
