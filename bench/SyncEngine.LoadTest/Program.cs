using System.Globalization;
using System.Text;
using Npgsql;
using SyncEngine.Client;
using SyncEngine.LoadTest;

// One command: starts the whole system (AppHost, throwaway PostgreSQL), loads it through the gateway on loopback,
// measures PostgreSQL's own limit in the same run, prints the results and writes them to docs/benchmarks.md.
// Bounded: about 2.5 minutes, then it stops by itself.
CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
var cellSeconds = args.Length > 0 && int.TryParse(args[0], out var s) ? s : 10;
var cell = TimeSpan.FromSeconds(cellSeconds);
using var bound = new CancellationTokenSource(TimeSpan.FromMinutes(3));
var ct = bound.Token;

Console.WriteLine("starting the system...");
await using var system = await SystemUnderTest.StartAsync(ct);
var api = new SyncEngineClient(system.Gateway);
await using var db = NpgsqlDataSource.Create(system.DatabaseConnectionString);

var pushes = new List<PushLoad.Result>();
var baselines = new List<PushLoad.Result>();
var allWorkspaces = new List<PushLoad.Workspace>();
foreach (var (clients, workspaceCount) in new[] { (1, 1), (8, 8), (32, 16) })
{
    var workspaces = await PushLoad.ClaimAsync(api, workspaceCount, ct);
    allWorkspaces.AddRange(workspaces);
    await PushLoad.RunAsync(api, clients, workspaces, TimeSpan.FromSeconds(2), ct); // warm-up
    var push = await PushLoad.RunAsync(api, clients, workspaces, cell, ct);
    var baseline = await Baseline.RunAsync(db, clients, cell, ct);
    pushes.Add(push);
    baselines.Add(baseline);
    Console.WriteLine($"{clients} clients: push {push.PerSecond:0}/s ({push.Latency.Summary}); baseline {baseline.PerSecond:0}/s ({baseline.Latency.Summary})");
}

var pulls = new List<PullAndPropagation.PullResult>();
foreach (var size in new[] { 100 * 1024, 1024 * 1024 })
{
    var pull = await PullAndPropagation.OneBehindAsync(system.Gateway, api, size, samples: 50, ct);
    pulls.Add(pull);
    Console.WriteLine($"pull 1 missing change of a {size / 1024} KB document: {pull.WireBytes} bytes on the wire, {pull.Latency.Summary}");
}

var propagation = await PullAndPropagation.PropagationAsync(system.Gateway, api, samples: 100, ct);
Console.WriteLine($"propagation push ack -> live head event: {propagation.Summary}");
var (checkedCount, lost) = await PushLoad.VerifyAsync(api, allWorkspaces, ct);
Console.WriteLine($"checked {checkedCount} acknowledged changes: {lost} lost");
var memory = await system.MemoryAsync(ct);
foreach (var (resource, rss) in memory)
{
    Console.WriteLine($"{resource}: {rss / 1024 / 1024} MB RSS");
}

var report = Report.Markdown(pushes, baselines, pulls, propagation, checkedCount, lost, memory, cellSeconds);
Console.WriteLine();
Console.WriteLine(report);
Report.WriteInto(Path.Combine(Report.RepositoryRoot(), "docs", "benchmarks.md"), report);
return lost == 0 ? 0 : 1;
