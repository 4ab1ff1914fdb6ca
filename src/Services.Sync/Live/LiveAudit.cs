using Marten;
using Microsoft.Extensions.Options;
using Npgsql;
using Services.Sync.Changes;
using SyncEngine.Backend.Security;
using SyncEngine.ServiceDefaults.Problems;

namespace Services.Sync.Live;

/// <summary>
/// The safety net under the NOTIFYs that drive live subscriptions: an announcement, a revocation or an erasure can be
/// lost (a LISTEN connection dropped at that moment, a replica that crashed between commit and announcement). Every
/// <c>Sync:HeartbeatEvery</c>, for all subscriptions on this replica at once, two queries — the heads and tombstones of
/// their workspaces, the revocation records of their (workspace, client) pairs — and each subscription hears what it
/// missed: a newer head (a catch-up), its workspace's erasure, its token's revocation. One round trip per replica,
/// not one per subscription: a replica with 50,000 subscriptions would otherwise ask 10,000 times a second.
/// </summary>
public sealed class LiveAudit(
    HeadNotifications notifications, NpgsqlDataSource db, IServiceScopeFactory scopes, IOptions<SyncOptions> options, TimeProvider clock,
    ILogger<LiveAudit> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.HeartbeatEvery, clock);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await AuditAsync(stoppingToken);
            }
            // Any exception, not only an outage's: one escaping a background loop would stop the whole service.
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                logger.LogWarning(e, "Could not audit the live subscriptions; trying again at the next heartbeat");
            }
        }
    }

    public async Task AuditAsync(CancellationToken ct)
    {
        var subscribed = notifications.Snapshot();
        if (subscribed.Count == 0)
        {
            return;
        }

        var workspaces = subscribed.Keys.ToArray();
        var heads = new Dictionary<Guid, long>();
        var erased = new HashSet<Guid>();
        await using (var command = db.CreateCommand(
            $"""
            select workspace_id, head, false from {SyncSchema.Logs} where workspace_id = any($1)
            union all select id, 0, true from {SyncSchema.ErasedTable} where id = any($1)
            """))
        {
            command.Parameters.AddWithValue(workspaces);
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                if (reader.GetBoolean(2))
                {
                    erased.Add(reader.GetGuid(0));
                }
                else
                {
                    heads[reader.GetGuid(0)] = reader.GetInt64(1);
                }
            }
        }

        IReadOnlyList<Revocation> revocations;
        await using (var scope = scopes.CreateAsyncScope())
        {
            var keys = subscribed.Values.SelectMany(s => s).Select(s => Revocation.KeyOf(s.WorkspaceId, s.ClientId)).Distinct().ToArray();
            revocations = await scope.ServiceProvider.GetRequiredService<IQuerySession>().LoadManyAsync<Revocation>(ct, keys);
        }

        var revoked = revocations.ToDictionary(r => (r.WorkspaceId, r.ClientId));
        foreach (var (workspaceId, subscriptions) in subscribed)
        {
            foreach (var subscription in subscriptions.Where(s => !s.IsDisposed))
            {
                if (erased.Contains(workspaceId))
                {
                    subscription.Erase();
                }
                else if (subscription.IssuedAt is { } issuedAt
                    && revoked.GetValueOrDefault((workspaceId, subscription.ClientId)).Refuses(issuedAt, subscription.TokenId))
                {
                    subscription.Revoke();
                }
                else if (heads.TryGetValue(workspaceId, out var head))
                {
                    subscription.Heard(head);
                }
            }
        }
    }
}
