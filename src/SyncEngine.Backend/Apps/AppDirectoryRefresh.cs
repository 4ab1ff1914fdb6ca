using System.Threading.Channels;
using Marten;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using SyncEngine.ServiceDefaults.Problems;

namespace SyncEngine.Backend.Apps;

/// <summary>
/// Keeps this replica's <see cref="AppDirectory"/> current: loads every app before the service takes requests, then
/// reloads whenever a commit NOTIFYs the service's apps channel (<see cref="ChannelOf"/>: every replica LISTENs, so a
/// change handled by one replica reaches all of them at commit), and every <c>Apps:RefreshEvery</c> (5 s) in case a
/// notification was missed while the LISTEN connection was down. Apps are few, so a reload reads them all.
/// </summary>
public sealed class AppDirectoryRefresh(
    AppDirectory directory,
    IDocumentStore store,
    NpgsqlDataSource db,
    AppSource source,
    TimeSpan refreshEvery,
    ILogger<AppDirectoryRefresh> logger) : BackgroundService
{
    private readonly Channel<bool> _changed = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });

    /// <summary>The NOTIFY channel of one service's apps: one per schema, so Auth does not reload on Sync's commits.</summary>
    public static string ChannelOf(string schema) => $"syncengine_apps_{schema}";

    /// <summary>Queued in the session that changes an app, so the NOTIFY is delivered only if that change commits.</summary>
    /// <remarks>
    /// NOTIFY rather than <c>select pg_notify(...)</c>: a queued command's result set is not read, and a select's row
    /// was read by the snapshot upsert batched after it ("Reading as Int64 is not supported for 'void'"). NOTIFY takes
    /// no parameters; the payload is a slug (<c>[a-z0-9-]</c>), quoted all the same.
    /// </remarks>
    public static void NotifyOnCommit(IDocumentSession session, string appId) =>
        session.QueueSqlCommand($"notify {ChannelOf(session.DocumentStore.Options.DatabaseSchemaName)}, '{appId.Replace("'", "''")}'");

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        // Known before the first request: a replica that started later must not answer as if no app existed.
        await ReloadAsync(cancellationToken);
        await base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var listening = ListenAsync(stoppingToken);
        while (!stoppingToken.IsCancellationRequested)
        {
            using var wait = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
            wait.CancelAfter(refreshEvery);
            try
            {
                await _changed.Reader.WaitToReadAsync(wait.Token);
                _changed.Reader.TryRead(out _);
            }
            catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
            {
                // The periodic reload.
            }

            try
            {
                await ReloadAsync(stoppingToken);
            }
            // Any exception, not only an outage's: one escaping a background loop would stop the whole service.
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                // The apps already known stay in force; the next tick or notification tries again.
                logger.LogWarning(e, "Could not reload the app directory");
            }
        }

        await listening;
    }

    private async Task ReloadAsync(CancellationToken ct)
    {
        await using var session = store.QuerySession();
        directory.Replace(await source(session, ct));
    }

    private async Task ListenAsync(CancellationToken stoppingToken)
    {
        var channel = ChannelOf(store.Options.DatabaseSchemaName);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var connection = await db.OpenConnectionAsync(stoppingToken);
                connection.Notification += (_, _) => _changed.Writer.TryWrite(true);
                await using (var listen = new NpgsqlCommand($"listen {channel}", connection))
                {
                    await listen.ExecuteNonQueryAsync(stoppingToken);
                }

                // Whatever changed while the connection was down.
                _changed.Writer.TryWrite(true);
                while (!stoppingToken.IsCancellationRequested)
                {
                    await connection.WaitAsync(stoppingToken);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                logger.LogWarning(e, "Lost the LISTEN connection of the app directory; reconnecting");
                using var pause = new PeriodicTimer(TimeSpan.FromSeconds(1));
                try
                {
                    await pause.WaitForNextTickAsync(stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }
}

/// <summary>Where a service's directory reads its apps from: Auth and Sync their <see cref="KnownApp"/> documents, Workspace its own apps.</summary>
public delegate Task<IReadOnlyList<KnownApp>> AppSource(IQuerySession session, CancellationToken ct);
