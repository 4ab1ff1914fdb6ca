using System.Globalization;
using System.Text;
using Npgsql;
using SyncEngine.Client;
using SyncEngine.LoadTest;

// One command: starts the whole system (AppHost, throwaway PostgreSQL), loads it through the gateway on loopback,
// measures PostgreSQL's own limit in the same run, prints the results and writes them to docs/benchmarks.md.
// Bounded: about 3 minutes, at most 5, then it stops by itself.
CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
if (args is ["scale", ..])
{
    // `scale [workspaces] [changes-per-workspace]`: push and pull latency empty and with the log filled (ScaleBench.cs).
    using var scaleBound = new CancellationTokenSource(TimeSpan.FromMinutes(20));
    Console.WriteLine("starting the system...");
    await using var scaleSystem = await SystemUnderTest.StartAsync(scaleBound.Token);
    // The throwaway cluster's superuser on the services' database (Sync's tables are in its schema sync).
    await using var scaleDb = NpgsqlDataSource.Create(scaleSystem.DatabaseConnectionString);
    var (count, per) = (args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 10_000, args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 100);
    var cells = await ScaleBench.RunAsync(new SyncEngineClient(scaleSystem.Gateway), scaleDb, count, per, TimeSpan.FromSeconds(10), scaleBound.Token);
    Console.WriteLine();
    Console.WriteLine(ScaleBench.Markdown(cells, count, per));
    return 0;
}

if (args is ["archive", ..])
{
    // `archive [MiB]`: export and restore of one large workspace with the services' memory sampled (ArchiveBench.cs).
    using var archiveBound = new CancellationTokenSource(TimeSpan.FromMinutes(10));
    Console.WriteLine("starting the system...");
    await using var archiveSystem = await SystemUnderTest.StartAsync(archiveBound.Token);
    var archiveApi = new SyncEngineClient(archiveSystem.Gateway);
    var operatorToken = (await archiveApi.GetOperatorTokenAsync("operator", archiveSystem.OperatorSecret, archiveBound.Token)).AccessToken;
    return await ArchiveBench.RunAsync(archiveSystem, archiveApi, operatorToken, args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 200,
        archiveBound.Token);
}

var cellSeconds = args.Length > 0 && int.TryParse(args[0], out var s) ? s : 10;
var cell = TimeSpan.FromSeconds(cellSeconds);
using var bound = new CancellationTokenSource(TimeSpan.FromMinutes(5));
var ct = bound.Token;

Console.WriteLine("starting the system...");
await using var system = await SystemUnderTest.StartAsync(ct);
var api = new SyncEngineClient(system.Gateway);
await using var db = NpgsqlDataSource.Create(system.DatabaseConnectionString);

var allWorkspaces = new List<PushLoad.Workspace>();

// Start-up leaves the services JIT-compiling and tiering up for several seconds; the first cell would measure that.
var warmUp = await PushLoad.ClaimAsync(api, 8, ct);
await PushLoad.RunAsync(api, 8, warmUp, TimeSpan.FromSeconds(8), ct);
allWorkspaces.AddRange(warmUp);

var pushes = new List<PushLoad.Result>();
var socketPushes = new List<PushLoad.Result>();
var baselines = new List<PushLoad.Result>();
var profiles = new List<(int Clients, long Pushes, IReadOnlyList<(string Program, double CpuMs)> Cpu)>();
var socketProfiles = new List<(int Clients, long Pushes, IReadOnlyList<(string Program, double CpuMs)> Cpu)>();
foreach (var (clients, workspaceCount) in new[] { (1, 1), (8, 8), (32, 16) })
{
    var workspaces = await PushLoad.ClaimAsync(api, workspaceCount, ct);
    allWorkspaces.AddRange(workspaces);
    await PushLoad.RunAsync(api, clients, workspaces, TimeSpan.FromSeconds(2), ct); // warm-up
    var cpu = CpuProfile.Start();
    var push = await PushLoad.RunAsync(api, clients, workspaces, cell, ct);
    profiles.Add((clients, push.Acknowledged, cpu.Stop()));
    // The same devices over the realtime channel, on fresh workspaces of the same number.
    var socketWorkspaces = await PushLoad.ClaimAsync(api, workspaceCount, ct);
    allWorkspaces.AddRange(socketWorkspaces);
    await SocketLoad.RunAsync(system.Gateway.BaseAddress!, clients, socketWorkspaces, TimeSpan.FromSeconds(2), ct); // warm-up
    var socketCpu = CpuProfile.Start();
    var socketPush = await SocketLoad.RunAsync(system.Gateway.BaseAddress!, clients, socketWorkspaces, cell, ct);
    socketProfiles.Add((clients, socketPush.Acknowledged, socketCpu.Stop()));
    var baseline = await Baseline.RunAsync(db, clients, cell, ct);
    pushes.Add(push);
    socketPushes.Add(socketPush);
    baselines.Add(baseline);
    Console.WriteLine($"{clients} clients: HTTP push {push.PerSecond:0}/s ({push.Latency.Summary}); socket push {socketPush.PerSecond:0}/s ({socketPush.Latency.Summary}); baseline {baseline.PerSecond:0}/s ({baseline.Latency.Summary})");
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
var socketPropagation = await SocketLoad.PropagationAsync(system.Gateway.BaseAddress!, api, samples: 200, ct);
Console.WriteLine($"socket: edit on one device -> its bytes on another: {socketPropagation.Summary}");
var (checkedCount, lost) = await PushLoad.VerifyAsync(api, allWorkspaces, ct);
Console.WriteLine($"checked {checkedCount} acknowledged changes: {lost} lost");
// What the system burns doing nothing (polling, telemetry export), measured after the load so start-up JIT work is over, to tell it apart from a push's own cost.
var idle = CpuProfile.Start();
using (var idleWindow = new PeriodicTimer(TimeSpan.FromSeconds(5)))
{
    await idleWindow.WaitForNextTickAsync(ct);
}

var idleCpu = idle.Stop();
Console.WriteLine($"idle CPU-ms over 5 s: {string.Join(", ", idleCpu.Select(c => $"{c.Program} {c.CpuMs:0}"))}");

var memory = await system.MemoryAsync(ct);
foreach (var service in memory)
{
    Console.WriteLine($"{service.Resource}: {service.RssBytes / 1024 / 1024} MB RSS, {service.PssBytes / 1024 / 1024} MB PSS");
}

var report = Report.Markdown(pushes, socketPushes, baselines, pulls, propagation, socketPropagation, checkedCount, lost, memory, cellSeconds,
    profiles, socketProfiles);
Console.WriteLine();
Console.WriteLine(report);
Report.WriteInto(Path.Combine(Report.RepositoryRoot(), "docs", "benchmarks.md"), report);
return lost == 0 ? 0 : 1;
