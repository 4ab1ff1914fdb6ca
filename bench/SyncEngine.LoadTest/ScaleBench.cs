using System.Diagnostics;
using Npgsql;
using SyncEngine.Client;

namespace SyncEngine.LoadTest;

/// <summary>
/// Push and pull latency on an empty deployment and on one holding at least a million changes over 10,000 workspaces,
/// in one run (issue #14: a change log that can grow). The fill goes straight into Sync's tables (logs and changes,
/// 256-byte payloads, as pushes would leave them), since pushing a million changes through HTTP would measure the
/// fill rather than the log; the measured pushes and pulls go through the gateway, on workspaces claimed as usual.
/// </summary>
public static class ScaleBench
{
    public sealed record Cell(string Deployment, long Changes, int Clients, PushLoad.Result Push, Stats Pull);

    public static async Task<IReadOnlyList<Cell>> RunAsync(SyncEngineClient api, NpgsqlDataSource db, int workspaces, int changesPerWorkspace, TimeSpan cell, CancellationToken ct)
    {
        var cells = new List<Cell>();
        // Start-up leaves the services JIT-compiling for several seconds; the empty cells would measure that.
        await PushLoad.RunAsync(api, 8, await PushLoad.ClaimAsync(api, 8, ct), TimeSpan.FromSeconds(8), ct);
        await MeasureAsync("empty", api, db, cell, cells, ct);

        var fill = Stopwatch.StartNew();
        await using (var command = db.CreateCommand(
            """
            with ws as (select gen_random_uuid() as id from generate_series(1, $1)),
            logs as (insert into sync.logs (workspace_id, head, schema_version, format, stored_bytes, app_id)
                     select id, $2, 1, 'opaque', $2 * 256, 'default' from ws returning workspace_id)
            insert into sync.changes (workspace_id, seq, idempotency_key, sha256, data, client_id, schema_version)
            select l.workspace_id, s, gen_random_uuid(), sha256(p.data), p.data, gen_random_uuid(), 1
            from logs l cross join generate_series(1, $2) s
            cross join lateral (select decode(repeat(md5(l.workspace_id::text || s), 8), 'hex') as data) p
            """))
        {
            command.CommandTimeout = 0;
            command.Parameters.AddWithValue(workspaces);
            command.Parameters.AddWithValue(changesPerWorkspace);
            await command.ExecuteNonQueryAsync(ct);
        }

        await using (var analyze = db.CreateCommand("analyze sync.logs; analyze sync.changes"))
        {
            await analyze.ExecuteNonQueryAsync(ct);
        }

        Console.WriteLine($"filled {workspaces} workspaces x {changesPerWorkspace} changes in {fill.Elapsed.TotalSeconds:0} s");
        await MeasureAsync("filled", api, db, cell, cells, ct);
        return cells;
    }

    private static async Task MeasureAsync(string name, SyncEngineClient api, NpgsqlDataSource db, TimeSpan cell, List<Cell> cells, CancellationToken ct)
    {
        var changes = await CountAsync(db, ct);
        foreach (var clients in new[] { 1, 8 })
        {
            var measured = await PushLoad.ClaimAsync(api, clients, ct);
            await PushLoad.RunAsync(api, clients, measured, TimeSpan.FromSeconds(2), ct); // warm-up
            var push = await PushLoad.RunAsync(api, clients, measured, cell, ct);
            // A device one change behind: the pull a live device makes after each head event.
            var pull = new Stats();
            foreach (var workspace in measured)
            {
                var head = (await api.PullAsync(workspace.Token, workspace.Id, 0, ct)).Head;
                for (var i = 0; i < 400 / clients; i++)
                {
                    var started = Stopwatch.GetTimestamp();
                    await api.PullAsync(workspace.Token, workspace.Id, head - 1, ct);
                    pull.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                }
            }

            cells.Add(new Cell(name, changes, clients, push, pull));
            Console.WriteLine($"{name} ({changes} changes), {clients} clients: push {push.PerSecond:0}/s ({push.Latency.Summary}); pull ({pull.Summary})");
        }
    }

    private static async Task<long> CountAsync(NpgsqlDataSource db, CancellationToken ct)
    {
        await using var count = db.CreateCommand("select count(*) from sync.changes");
        return (long)(await count.ExecuteScalarAsync(ct))!;
    }

    public static string Markdown(IReadOnlyList<Cell> cells, int workspaces, int perWorkspace) =>
        string.Join('\n', new[]
        {
            $"| deployment | changes stored | clients | pushes/s | push p50 | push p99 | pull p50 | pull p99 |",
            "| --- | --- | --- | --- | --- | --- | --- | --- |",
        }.Concat(cells.Select(c =>
            $"| {c.Deployment} | {c.Changes:N0} | {c.Clients} | {c.Push.PerSecond:0} | {c.Push.Latency.Percentile(50):0.0} ms | {c.Push.Latency.Percentile(99):0.0} ms | {c.Pull.Percentile(50):0.0} ms | {c.Pull.Percentile(99):0.0} ms |")))
        + $"\n\nFilled with {workspaces:N0} workspaces x {perWorkspace} changes of 256 bytes.";
}
