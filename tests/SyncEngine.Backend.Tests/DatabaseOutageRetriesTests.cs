using JasperFx.CodeGeneration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;
using SyncEngine.Backend.Messaging;
using SyncEngine.Testing;
using Wolverine;
using Wolverine.Postgresql;
using Wolverine.Tracking;
using Xunit;

namespace SyncEngine.Backend.Tests;

/// <summary>
/// A message whose handler cannot reach its database is retried until the database is back, not dead-lettered. The
/// handler reads from one PostgreSQL cluster, stopped when the message arrives and started again after its first
/// failure; Wolverine keeps its durable inbox and dead letters in another, which stays up, so without the rule the
/// first failure would be a dead letter. Real Wolverine, real clusters; the retry delays are shortened.
/// </summary>
public sealed class DatabaseOutageRetriesTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public sealed record ReadTarget(Guid Id);

    public sealed class Target(string connectionString)
    {
        public string ConnectionString { get; } = connectionString;

        public int Attempts;

        public int Succeeded;
    }

    public static class ReadTargetHandler
    {
        public static async Task Handle(ReadTarget message, Target target)
        {
            Interlocked.Increment(ref target.Attempts);
            await using var connection = new NpgsqlConnection(target.ConnectionString);
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand("select 1", connection);
            await command.ExecuteScalarAsync();
            Interlocked.Increment(ref target.Succeeded);
        }
    }

    [Fact]
    public async Task a_message_whose_database_is_down_is_handled_once_it_is_back_and_never_dead_lettered()
    {
        await using var store = await TestPostgres.StartAsync(Ct);
        await using var database = await TestPostgres.StartAsync(Ct);
        var target = new Target(database.SuperuserConnectionString + ";Timeout=2");
        await database.StopImmediatelyAsync(Ct);

        using var host = await Host.CreateDefaultBuilder()
            .UseWolverine(opts =>
            {
                opts.ServiceName = "outage-retries";
                opts.PersistMessagesWithPostgresql(store.SuperuserConnectionString, "wolverine");
                opts.Policies.UseDurableLocalQueues();
                opts.RetryWhileDatabaseUnreachable([TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(200)], TimeSpan.FromMilliseconds(500));
                opts.CodeGeneration.TypeLoadMode = TypeLoadMode.Dynamic;
                opts.Discovery.DisableConventionalDiscovery().IncludeType(typeof(ReadTargetHandler));
                opts.Services.AddSingleton(target);
            })
            .StartAsync(Ct);

        // The database comes back once the handler has failed at least once, while the message is being retried.
        var restart = Task.Run(async () =>
        {
            await Eventually.Until(_ => Task.FromResult(Volatile.Read(ref target.Attempts)), n => n >= 1, TimeSpan.FromSeconds(30), Ct);
            await database.RestartAsync(Ct);
        }, Ct);
        var session = await host.TrackActivity(TimeSpan.FromSeconds(60)).DoNotAssertOnExceptionsDetected()
            .SendMessageAndWaitAsync(new ReadTarget(Guid.NewGuid()));
        await restart;
        // The tracked session may end when a retry is scheduled rather than when it runs: wait for the handler itself.
        // A dead-lettered message is never handled, so this stays 0 without the rule.
        var succeeded = await Eventually.Until(_ => Task.FromResult(Volatile.Read(ref target.Succeeded)), n => n >= 1, TimeSpan.FromSeconds(30), Ct);

        Assert.Empty(session.MovedToErrorQueue.Envelopes());
        Assert.Equal(1, succeeded);
        Assert.True(Volatile.Read(ref target.Attempts) >= 2, $"handled in {target.Attempts} attempt(s): the database was never down for it");
    }
}
