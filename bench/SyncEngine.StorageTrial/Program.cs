using System.Globalization;
using System.Runtime.InteropServices;
using JasperFx.Events;
using Npgsql;
using SyncEngine.StorageTrial;

// Storage trial: a plain bytea table (the shape of PushChange) vs a Marten event stream with a binary event
// serializer, appending 1 KB opaque changes with gap-free per-workspace seqs and durable commits.
//   dotnet run -c Release --project bench/SyncEngine.StorageTrial [-- --connection <cs>] [--rounds 2] [--seconds 3] [--warmup 0.5]
// The variants run interleaved (round by round, shape by shape, rotating which goes first), so load that other
// processes put on the machine lands on all of them rather than on whichever happened to run at that moment.

CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;

string? Arg(string name) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault();
var connection = Arg("--connection");
var rounds = int.Parse(Arg("--rounds") ?? "2", CultureInfo.InvariantCulture);
var measure = TimeSpan.FromSeconds(double.Parse(Arg("--seconds") ?? "3", CultureInfo.InvariantCulture));
var warmup = TimeSpan.FromSeconds(double.Parse(Arg("--warmup") ?? "0.5", CultureInfo.InvariantCulture));
var pgBin = Arg("--pg-bin") ?? "/usr/lib/postgresql/15/bin";

// A hard stop so the trial always ends by itself, whatever the database does.
using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(170));
var ct = deadline.Token;
Console.CancelKeyPress += (_, e) =>
{
    // Ctrl+C ends the run through the same path, so the cluster is still stopped and deleted.
    e.Cancel = true;
    deadline.Cancel();
};

Console.WriteLine("# Storage trial: plain bytea table vs Marten binary event stream");
Console.WriteLine();
Console.WriteLine($"- date: {DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm} UTC");
Console.WriteLine($"- machine: {Environment.ProcessorCount} CPUs ({Machine.CpuModel()}), {Machine.RamGiB():0.0} GiB RAM, {RuntimeInformation.OSDescription}");
Console.WriteLine($"- runtime: {RuntimeInformation.FrameworkDescription}, Npgsql {typeof(NpgsqlConnection).Assembly.GetName().Version}, Marten {typeof(Marten.DocumentStore).Assembly.GetName().Version}");
Console.WriteLine($"- load average at start: {Machine.LoadAverage()}");
Console.WriteLine($"- args: {(args.Length == 0 ? "(none)" : string.Join(' ', args))}; {rounds} interleaved rounds per cell, each {warmup.TotalSeconds:0.#} s warm-up + {measure.TotalSeconds:0.#} s measured, closed-loop clients, {Runner.ChangeBytes}-byte random payloads");

TrialCluster? cluster = null;
var started = DateTimeOffset.UtcNow;
try
{
    if (connection is null)
    {
        cluster = await TrialCluster.StartAsync(pgBin, ct);
        connection = cluster.ConnectionString;
        Console.WriteLine($"- database: throwaway cluster from {pgBin}, 127.0.0.1 only, started in {(DateTimeOffset.UtcNow - started).TotalSeconds:0.0} s");
    }
    else
    {
        Console.WriteLine("- database: --connection (given)");
    }

    await using var db = NpgsqlDataSource.Create(connection);
    await using (var settings = db.CreateCommand("""
        select version(), current_setting('fsync'), current_setting('synchronous_commit'), current_setting('wal_sync_method'),
               current_setting('full_page_writes'), current_setting('shared_buffers')
        """))
    await using (var reader = await settings.ExecuteReaderAsync(ct))
    {
        await reader.ReadAsync(ct);
        Console.WriteLine($"- server: {reader.GetString(0).Split(" on ")[0]}; fsync={reader.GetString(1)}, synchronous_commit={reader.GetString(2)}, wal_sync_method={reader.GetString(3)}, full_page_writes={reader.GetString(4)}, shared_buffers={reader.GetString(5)}");
    }

    using var martenRich = new MartenLog(connection, db, EventAppendMode.Rich);
    using var martenQuick = new MartenLog(connection, db, EventAppendMode.Quick);
    IAppendTarget[] targets = [new RawInsert(db), new TableLog(db), martenRich, martenQuick];
    var storage = new List<(string Name, Storage Storage)>();

    foreach (var target in targets)
    {
        await target.DropAsync(ct);
        await target.SetupAsync(ct);
        Console.WriteLine();
        Console.WriteLine($"## {target.Name}");
        if (target.HasLog)
        {
            Console.WriteLine($"idempotency check: {await Runner.CheckIdempotencyAsync(target, ct)}");
        }

        // JIT, connection pool, first log rows / streams: warmed on workspaces of their own, verified, not reported.
        var warmupWorkspaces = NewWorkspaces(16);
        var warm = await Runner.RunAsync(target, 8, warmupWorkspaces, TimeSpan.Zero, TimeSpan.FromSeconds(1.5), ct);
        Console.WriteLine($"warm-up (8 clients, 1.5 s, {warm.Acks.Count} pushes): {warm.Verified}");
    }

    (int Clients, int Workspaces)[] shapes = [(1, 16), (8, 16), (32, 16), (32, 1)];
    var runs = new Dictionary<(string, int, int), List<Run>>();
    Console.WriteLine();
    Console.WriteLine("## Runs");
    for (var round = 1; round <= rounds; round++)
    {
        for (var s = 0; s < shapes.Length; s++)
        {
            var (clients, workspaceCount) = shapes[s];
            var first = (round + s) % targets.Length;
            foreach (var target in targets[first..].Concat(targets[..first]))
            {
                if (!target.HasLog && workspaceCount == 1)
                {
                    continue;
                }

                var load = Machine.LoadAverage().Split(' ')[0];
                var run = await Runner.RunAsync(target, clients, NewWorkspaces(workspaceCount), warmup, measure, ct);
                runs.TryAdd((target.Name, clients, workspaceCount), []);
                runs[(target.Name, clients, workspaceCount)].Add(run);
                Console.WriteLine($"round {round} | {target.Name,-12} | {clients,2} clients x {(target.HasLog ? $"{workspaceCount,2} workspaces" : "no log"),-13} | load1 {load,5} | {run.Latencies.Length / run.Seconds,6:0} pushes/s | errors {run.Errors}{(run.FirstError is null ? "" : $" ({run.FirstError})")} | verify {run.Verified}");
            }
        }
    }

    var cells = targets.SelectMany(t => shapes
            .Where(shape => runs.ContainsKey((t.Name, shape.Clients, shape.Workspaces)))
            .Select(shape => new Cell(t.Name, shape.Clients, t.HasLog ? shape.Workspaces : 0, runs[(t.Name, shape.Clients, shape.Workspaces)])))
        .ToList();

    foreach (var target in targets)
    {
        storage.Add((target.Name, await target.MeasureStorageAsync(ct)));
    }

    Console.WriteLine();
    Console.WriteLine("## Results");
    Console.WriteLine();
    Console.WriteLine("| variant | clients | workspaces | pushes/s | per round | p50 ms | p95 ms | p99 ms | max ms | measured pushes | errors | verified |");
    Console.WriteLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |");
    foreach (var c in cells)
    {
        Console.WriteLine($"| {c.Variant} | {c.Clients} | {(c.Workspaces == 0 ? "-" : c.Workspaces == 1 ? "1 (hot)" : c.Workspaces.ToString(CultureInfo.InvariantCulture))} | {c.PerSecond:0} | {c.PerRound} | {c.Percentile(50):0.00} | {c.Percentile(95):0.00} | {c.Percentile(99):0.00} | {c.Percentile(100):0.0} | {c.Measured} | {c.Errors} | {(c.Verified ? "ok" : "FAIL")} |");
    }

    Console.WriteLine();
    Console.WriteLine("| variant | rows | bytes/row incl. indexes | heap bytes/row | avg row (pg_column_size) | avg payload column | also stored |");
    Console.WriteLine("| --- | ---: | ---: | ---: | ---: | ---: | --- |");
    foreach (var (name, s) in storage)
    {
        Console.WriteLine($"| {name} | {s.Rows} | {s.TotalBytesPerRow:0} | {s.HeapBytesPerRow:0} | {s.AvgRowBytes:0} | {s.AvgPayloadBytes:0} | {s.Note} |");
    }

    var failed = cells.Count(c => !c.Verified);
    Console.WriteLine();
    Console.WriteLine($"load average at end: {Machine.LoadAverage()}");
    Console.WriteLine($"verification: {(failed == 0 ? $"all {cells.Sum(c => c.Runs.Count)} runs in {cells.Count} cells ok" : $"{failed} of {cells.Count} cells FAILED")}");

    foreach (var target in targets)
    {
        await target.DropAsync(ct);
    }

    return failed == 0 ? 0 : 1;
}
catch (OperationCanceledException) when (deadline.IsCancellationRequested)
{
    Console.WriteLine("ABORTED: cancelled or past the 170 s deadline.");
    return 2;
}
finally
{
    if (cluster is not null)
    {
        await cluster.DisposeAsync();
    }

    Console.WriteLine($"total {(DateTimeOffset.UtcNow - started).TotalSeconds:0} s{(cluster is null ? "" : ", cluster stopped and deleted")}");
}

static Guid[] NewWorkspaces(int count) => [.. Enumerable.Range(0, count).Select(_ => Guid.NewGuid())];

internal static class Machine
{
    public static string CpuModel() =>
        File.Exists("/proc/cpuinfo")
            ? File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "?"
            : "?";

    public static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ')[..3]) : "?";

    public static double RamGiB()
    {
        var line = File.Exists("/proc/meminfo") ? File.ReadLines("/proc/meminfo").FirstOrDefault(l => l.StartsWith("MemTotal:", StringComparison.Ordinal)) : null;
        return line is null ? 0 : long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024.0 / 1024.0;
    }
}
