using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace SyncEngine.LoadTest;

/// <summary>The whole app, started by the real AppHost in a throwaway cluster, exactly as the end-to-end tests do.</summary>
public sealed class SystemUnderTest : IAsyncDisposable
{
    private readonly string _cluster = Path.Combine(Path.GetTempPath(), $"syncengine-bench-{Guid.NewGuid():N}");
    private DistributedApplication _app = null!;

    public HttpClient Gateway { get; private set; } = null!;
    public string DatabaseConnectionString { get; private set; } = "";

    /// <summary>Operator:Secret of this run (client id <c>operator</c>), for the admin calls.</summary>
    public string OperatorSecret { get; } = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));

    public static async Task<SystemUnderTest> StartAsync(CancellationToken ct)
    {
        var system = new SystemUnderTest();
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.SyncEngine_AppHost>(
            [$"--Postgres:DataDirectory={system._cluster}", "--ASPIRE_ALLOW_UNSECURED_TRANSPORT=true",
             // The benchmark drives many requests from one address and one token per client: lift the gateway limits.
             "--Gateway:RateLimit:PermitsPerSecondPerClient=1000000", "--Gateway:RateLimit:BurstPerClient=1000000",
             "--Gateway:RateLimit:PermitsPerSecondPerAddress=1000000", "--Gateway:RateLimit:BurstPerAddress=1000000",
             "--Gateway:ClaimsPerMinutePerAddress=1000000", $"--Operator:Secret={system.OperatorSecret}",
             // The gateway listens on its public port itself: one Aspire picks, so a running AppHost on 8080 does not collide.
             "--Gateway:Port=0",
             // Start-up health probes fail until each resource is up; that is expected, not news.
             "--Logging:LogLevel:Microsoft.Extensions.Diagnostics.HealthChecks=None"], ct);
        // Every request the load generator sends would otherwise print two HttpClient lines and bury the results.
        builder.Services.AddLogging(logging => logging.AddFilter("System.Net.Http.HttpClient", LogLevel.Warning));
        system._app = await builder.BuildAsync(ct);
        await system._app.StartAsync(ct);
        foreach (var resource in new[] { "auth", "workspace", "sync", "gateway" })
        {
            await system._app.ResourceNotifications.WaitForResourceHealthyAsync(resource, ct);
        }

        system.Gateway = system._app.CreateHttpClient("gateway", "http");
        system.DatabaseConnectionString = await system._app.GetConnectionStringAsync("postgres", ct)
            ?? throw new InvalidOperationException("no connection string for postgres");
        return system;
    }

    /// <summary>
    /// Resident memory of every service process now, by resource (replicas separately): RSS, and PSS, which charges
    /// each process only its share of the assembly pages all the .NET processes map from the same files.
    /// </summary>
    public async Task<IReadOnlyList<ServiceMemory>> MemoryAsync(CancellationToken ct) =>
        (await ServiceProcessesAsync(ct))
            .Select(p => new ServiceMemory(p.Key, Kilobytes(p.Value, "status", "VmRSS:"), Kilobytes(p.Value, "smaps_rollup", "Pss:"),
                Kilobytes(p.Value, "status", "RssAnon:"), Kilobytes(p.Value, "status", "RssFile:"), Kilobytes(p.Value, "status", "RssShmem:")))
            .OrderBy(r => r.Resource)
            .ToList();

    /// <summary>Every service process by resource (replicas separately), for sampling their memory while something runs.</summary>
    public async Task<IReadOnlyDictionary<string, int>> ServiceProcessesAsync(CancellationToken ct)
    {
        var result = new Dictionary<string, int>();
        using var enough = CancellationTokenSource.CreateLinkedTokenSource(ct);
        enough.CancelAfter(TimeSpan.FromSeconds(3));
        try
        {
            await foreach (var update in _app.ResourceNotifications.WatchAsync(enough.Token))
            {
                if (update.Snapshot.Properties.FirstOrDefault(p => p.Name.EndsWith(".pid", StringComparison.Ordinal))?.Value is { } pid
                    && int.TryParse(pid.ToString(), out var wrapper) && ServiceProcess(wrapper) is { } service)
                {
                    result[update.ResourceId] = service;
                }
            }
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
        }

        return result;
    }

    /// <summary>A process's resident memory now, in bytes.</summary>
    public static long Rss(int pid) => Kilobytes(pid, "status", "VmRSS:");

    private static int? ServiceProcess(int pid)
    {
        var children = $"/proc/{pid}/task/{pid}/children";
        var candidates = new[] { pid }.Concat(File.Exists(children)
            ? File.ReadAllText(children).Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse)
            : []);
        return candidates.FirstOrDefault(p => File.Exists($"/proc/{p}/comm") && File.ReadAllText($"/proc/{p}/comm").Trim() is var name
            && (name.StartsWith("Services.", StringComparison.Ordinal) || name == "Gateway")) is var found and > 0 ? found : null;
    }

    private static long Kilobytes(int pid, string file, string field) =>
        File.ReadLines($"/proc/{pid}/{file}").Where(l => l.StartsWith(field, StringComparison.Ordinal))
            .Select(l => long.Parse(l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) * 1024).FirstOrDefault();

    public async ValueTask DisposeAsync()
    {
        Gateway?.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
        try
        {
            Directory.Delete(_cluster, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
        }
    }
}
