using JasperFx.Resources;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace SyncEngine.Backend.Messaging;

/// <summary>
/// Creates or updates every schema object (Marten's, Wolverine's envelopes and queue tables, a service's own tables)
/// before the service starts, one process at a time. Services and replicas start together and share the database;
/// left alone, two of them creating the same table or index race, and the loser fails its start (seen with two Sync
/// replicas: "relation ... already exists"). A PostgreSQL advisory lock held for the duration serialises them.
/// </summary>
public static class SchemaSetup
{
    // Any fixed number shared by all SyncEngine services; "SyncEngn" in ASCII.
    private const long LockId = 0x53796E63456E676EL;

    private static readonly TimeSpan BrokerTimeout = TimeSpan.FromSeconds(5);

    /// <summary>How long a process waits for another's set-up before it gives up and says so.</summary>
    public static readonly TimeSpan LockPatience = TimeSpan.FromMinutes(10);

    /// <param name="andThen">A service's own schema step that Marten's objects cannot express (Sync's partitioned change log), run under the same lock after them.</param>
    public static async Task SetupSchemaExclusivelyAsync(
        this IHost host, string[] args, Func<NpgsqlConnection, ILogger, CancellationToken, Task>? andThen = null, CancellationToken ct = default)
    {
        // Command-line verbs (codegen, resources, keys, ...) manage their own needs; only a plain run sets up here.
        if (args.Any(a => !a.StartsWith('-')))
        {
            return;
        }

        // A broker that cannot be reached stops the service now, naming its setting; the queue set-up below would otherwise
        // wait on it under the lock every other service needs.
        await MessagingTransport.From(host.Services.GetRequiredService<IConfiguration>()).EnsureBrokerReachableAsync(BrokerTimeout, ct);

        var logger = host.Services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(SchemaSetup));
        await using var connection = await host.Services.GetRequiredService<NpgsqlDataSource>().OpenConnectionAsync(ct);
        await TakeLockAsync(connection, logger, ct);

        try
        {
            await host.SetupResources(ct);
            if (andThen is not null)
            {
                await andThen(connection, logger, ct);
            }

            logger.LogInformation("Schema objects are up to date");
        }
        finally
        {
            await using var release = new NpgsqlCommand($"select pg_advisory_unlock({LockId})", connection);
            await release.ExecuteNonQueryAsync(CancellationToken.None);
        }
    }

    /// <summary>
    /// Waits for the lock as long as another process sets up, up to <see cref="LockPatience"/>. A blocking
    /// <c>pg_advisory_lock</c> under Npgsql's default command timeout (30 s) gave up: while a whole test run loaded both
    /// cores a set-up took longer than that, and whoever waited behind it failed to start. The wait is PostgreSQL's own
    /// (woken when the lock is released); only its bound is longer, and a wait is said once in the log.
    /// </summary>
    private static async Task TakeLockAsync(NpgsqlConnection connection, ILogger logger, CancellationToken ct)
    {
        await using (var tryTake = new NpgsqlCommand($"select pg_try_advisory_lock({LockId})", connection))
        {
            if (await tryTake.ExecuteScalarAsync(ct) is true)
            {
                return;
            }
        }

        logger.LogInformation("Waiting for another SyncEngine process to finish setting up the schema objects (at most {Minutes} min)", LockPatience.TotalMinutes);
        await using var take = new NpgsqlCommand($"select pg_advisory_lock({LockId})", connection) { CommandTimeout = (int)LockPatience.TotalSeconds };
        try
        {
            await take.ExecuteNonQueryAsync(ct);
        }
        catch (NpgsqlException e) when (e.InnerException is TimeoutException)
        {
            throw new TimeoutException(
                $"Another SyncEngine process has been setting up the database's schema objects for {LockPatience.TotalMinutes} minutes " +
                $"(it holds advisory lock {LockId}; see pg_locks). Stop it, or end its session, and start this one again.", e);
        }
    }
}
