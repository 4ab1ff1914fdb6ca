using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;
using SyncEngine.Backend.Messaging;
using SyncEngine.Testing;
using Xunit;

namespace SyncEngine.Backend.Tests;

/// <summary>
/// Schema set-up one process at a time (SchemaSetup): a process that waits behind another's long set-up starts once it
/// is done, however long past the database command timeout that is. (Waiting with a blocking lock call failed after
/// Npgsql's 30 s and stopped the waiting replica.)
/// </summary>
public sealed class SchemaSetupTests
{
    private const long LockId = 0x53796E63456E676EL;

    [Fact]
    public async Task a_set_up_waits_past_the_command_timeout_for_another_process_to_finish_then_runs()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var postgres = await TestPostgres.StartAsync(ct);
        // Another process setting up: it holds the lock.
        await using var other = new NpgsqlConnection(postgres.SuperuserConnectionString);
        await other.OpenAsync(ct);
        await using (var take = new NpgsqlCommand($"select pg_advisory_lock({LockId})", other))
        {
            await take.ExecuteNonQueryAsync(ct);
        }

        // This process: every command of it times out after 1 s, standing in for Npgsql's 30 s.
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddSingleton(NpgsqlDataSource.Create(postgres.SuperuserConnectionString + ";Command Timeout=1"));
        using var host = builder.Build();
        var ran = false;
        var setUp = host.SetupSchemaExclusivelyAsync([], (_, _, _) =>
        {
            ran = true;
            return Task.CompletedTask;
        }, ct);

        // PostgreSQL shows it waiting for the lock, and keeps showing it past three command timeouts: neither failed nor run.
        var waited = await Eventually.Until(async t =>
            {
                await using var query = new NpgsqlCommand(
                    "select coalesce(max(extract(epoch from now() - a.query_start)), 0)::float8 from pg_locks l join pg_stat_activity a on a.pid = l.pid " +
                    "where l.locktype = 'advisory' and not l.granted", other);
                return (double)(await query.ExecuteScalarAsync(t))!;
            },
            seconds => seconds > 3 || setUp.IsCompleted, TimeSpan.FromSeconds(20), ct);
        Assert.False(setUp.IsCompleted, setUp.Exception?.ToString() ?? "the set-up ran while another process held the lock");
        Assert.True(waited > 3, $"the set-up waited {waited:0.0} s for the lock");

        await using (var release = new NpgsqlCommand($"select pg_advisory_unlock({LockId})", other))
        {
            await release.ExecuteNonQueryAsync(ct);
        }

        await setUp.WaitAsync(TimeSpan.FromSeconds(10), ct);
        Assert.True(ran);
    }
}
