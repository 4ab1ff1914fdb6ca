using System.Diagnostics;
using System.Security.Cryptography;
using Npgsql;

namespace SyncEngine.LoadTest;

/// <summary>
/// PostgreSQL's own limit on this machine: one 1 KB bytea row per durable transaction, at the same concurrency, on the
/// same server the system uses — what a push could cost if it were nothing but its insert.
/// </summary>
public static class Baseline
{
    public static async Task<PushLoad.Result> RunAsync(NpgsqlDataSource db, int clients, TimeSpan duration, CancellationToken ct)
    {
        await using (var create = db.CreateCommand(
            "create schema if not exists bench; create table if not exists bench.baseline (id bigserial primary key, data bytea not null)"))
        {
            await create.ExecuteNonQueryAsync(ct);
        }

        var latency = new Stats();
        long committed = 0;
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, clients).Select(async _ =>
        {
            await using var connection = await db.OpenConnectionAsync(ct);
            var data = new byte[1024];
            while (clock.Elapsed < duration)
            {
                RandomNumberGenerator.Fill(data);
                var started = Stopwatch.GetTimestamp();
                await using var insert = new NpgsqlCommand("insert into bench.baseline (data) values ($1)", connection);
                insert.Parameters.AddWithValue(data);
                await insert.ExecuteNonQueryAsync(ct);
                latency.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                Interlocked.Increment(ref committed);
            }
        }));
        return new PushLoad.Result(clients, 0, committed, clock.Elapsed.TotalSeconds, latency);
    }
}
