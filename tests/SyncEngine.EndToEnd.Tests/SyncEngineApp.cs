using System.Net;
using System.Net.Sockets;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SyncEngine.Client;
using SyncEngine.Testing;
using Xunit;

namespace SyncEngine.EndToEnd.Tests;

/// <summary>
/// The whole system, started once per collection by the real AppHost: PostgreSQL in a throwaway cluster, the three
/// services, the gateway, the web client and (unless <see cref="WithDashboard"/> is off) the dashboard, whose telemetry
/// API lets tests read traces. The services'
/// queues are in PostgreSQL unless <see cref="Transport"/> says otherwise (RabbitMqApp, in OnRabbitMqTests.cs).
/// </summary>
public class SyncEngineApp : IAsyncLifetime
{
    private const string Dashboard = "aspire-dashboard";

    /// <summary>Sync:CoveredChangeRetention here: short enough to watch covered changes being pruned within a test.</summary>
    public static readonly TimeSpan CoveredChangeRetention = TimeSpan.FromSeconds(3);

    /// <summary>Sync:MaxChangeBytes here, not the 4 MiB default, so a test proves the limit is read from configuration.</summary>
    public const int MaxChangeBytes = 2 * 1024 * 1024;

    /// <summary>Sync:MaxSnapshotBytes here, below the 16 MiB default and the gateway's body limit, so Sync's own check answers.</summary>
    public const int MaxSnapshotBytes = 3 * 1024 * 1024;

    /// <summary>Sync:MaxSchemaVersion here, not the default 2, so RestartTests sees a workspace clamped to the configured bound.</summary>
    public const int MaxSchemaVersion = 3;

    /// <summary>Sync:MaxWorkspaceBytes here, not the 1 GiB default, as a deployment would set it.</summary>
    public const long MaxWorkspaceBytes = 24L * 1024 * 1024;

    /// <summary>Sync:DatabasePoolSize here: few enough that slow readers could hold them all (SlowReaderTests).</summary>
    public const int SyncPoolSize = 24;

    /// <summary>
    /// Gateway:ClaimsPerMinutePerAddress here: every test claims from 127.0.0.1 through Aspire's proxy, so the budget is
    /// far above what the suite spends in a minute; RateLimitTests spends it from another address.
    /// </summary>
    public const int ClaimsPerMinutePerAddress = 120;

    /// <summary>Workspace:ClaimRetryWindow here, not the 24 h default, so a test sees a claim's key stop minting master tokens.</summary>
    public static readonly TimeSpan ClaimRetryWindow = TimeSpan.FromSeconds(10);

    /// <summary>Gateway:TokenRequestsPerMinutePerAddress here: like claims, far above what the suite spends from 127.0.0.1.</summary>
    public const int TokenRequestsPerMinutePerAddress = 120;

    /// <summary>Apps:Default here, as the AppHost sets it by default.</summary>
    public const string DefaultApp = "default";

    /// <summary>The operator client's id (the default).</summary>
    public const string OperatorClientId = "operator";

    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(3);

    /// <summary>Auth:KeyEncryptionKey here: the fixture's own, so tests can run the keys command and check what is sealed.</summary>
    public string KeyEncryptionKey { get; } = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));

    /// <summary>Operator:Secret here: the fixture's own, so tests can get operator tokens (Auth sees only its hash).</summary>
    public string OperatorSecret { get; } = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));

    private readonly string _clusterDirectory = Path.Combine(Path.GetTempPath(), $"syncengine-e2e-{Guid.NewGuid():N}");
    private DistributedApplication? _app;

    public DistributedApplication App => _app ?? throw new InvalidOperationException("The app has not started.");
    public HttpClient Gateway { get; private set; } = null!;
    public SyncEngine.Client.SyncEngineClient Api { get; private set; } = null!;
    /// <summary>The dashboard's telemetry API; only where <see cref="WithDashboard"/>.</summary>
    public DashboardTelemetry Telemetry =>
        _telemetry ?? throw new InvalidOperationException($"{GetType().Name} runs without the dashboard, so it has no telemetry to read.");

    private DashboardTelemetry? _telemetry;

    /// <summary>Messaging:Transport here.</summary>
    public virtual string Transport => "postgresql";

    /// <summary>
    /// Whether the dashboard runs, so tests can read traces. An app whose tests read none goes without: every service
    /// then exports no telemetry (measured on the conformance suite's own app, when it had one: a fifth of its CPU).
    /// </summary>
    protected virtual bool WithDashboard => true;

    /// <summary>
    /// The apps of this test process start one after another (AppStartOrder): each app's DCP picks the ports its
    /// processes will bind, checked free when picked, and two apps starting at once could each pick a port the other had
    /// picked and not bound yet (seen: Auth of one app refused with "address already in use" on the other app's
    /// PostgreSQL port, so that app never started). Once an app is up its ports are bound, and the next DCP's check sees
    /// them. Other processes that pick a free port and bind it later (the topology module, a service a test restarts)
    /// can still race a DCP; that window is short and was not seen.
    /// </summary>
    public virtual ValueTask InitializeAsync() =>
        new(AppStartOrder.StartAsync(first: GetType() == typeof(SyncEngineApp), StartAsync, TestContext.Current.CancellationToken));

    private async Task StartAsync()
    {
        var dashboardUrl = $"http://127.0.0.1:{FreePort()}";
        var apiKey = Guid.NewGuid().ToString("N");
        string[] args =
        [
            $"--Postgres:DataDirectory={_clusterDirectory}",
            // Never the developer's own server: a connection string from user secrets or the environment is blanked
            // (auto then picks a container or local binaries, in the throwaway directory above), and checked below.
            "--Postgres:Mode=auto",
            $"--ConnectionStrings:{SyncEngine.AppHost.Postgres.PostgresSetup.ConnectionName}=",
            // Likewise a configured broker: with rabbitmq, the AppHost runs a node of its own in the directory above.
            $"--{SyncEngine.AppHost.Messaging.MessagingSetup.Setting}={Transport}",
            $"--ConnectionStrings:{SyncEngine.AppHost.Messaging.MessagingSetup.ConnectionName}=",
            "--ASPIRE_ALLOW_UNSECURED_TRANSPORT=true",
            $"--ASPNETCORE_URLS={dashboardUrl}",
            $"--ASPIRE_DASHBOARD_OTLP_ENDPOINT_URL=http://127.0.0.1:{FreePort()}",
            $"--ASPIRE_DASHBOARD_OTLP_HTTP_ENDPOINT_URL=http://127.0.0.1:{FreePort()}",
            $"--ASPIRE_RESOURCE_SERVICE_ENDPOINT_URL=http://127.0.0.1:{FreePort()}",
            $"--AppHost:DashboardApiKey={apiKey}",
            // The gateway listens on its public port itself (no proxy to randomize it): one Aspire picks, not 8080.
            "--Gateway:Port=0",
            $"--Sync:CoveredChangeRetention={CoveredChangeRetention:c}",
            $"--Sync:MaxChangeBytes={MaxChangeBytes}",
            $"--Sync:MaxSnapshotBytes={MaxSnapshotBytes}",
            "--Sync:PruneEvery=00:00:01",
            $"--Sync:MaxSchemaVersion={MaxSchemaVersion}",
            $"--Sync:MaxWorkspaceBytes={MaxWorkspaceBytes}",
            $"--Sync:DatabasePoolSize={SyncPoolSize}",
            $"--Gateway:ClaimsPerMinutePerAddress={ClaimsPerMinutePerAddress}",
            $"--Gateway:TokenRequestsPerMinutePerAddress={TokenRequestsPerMinutePerAddress}",
            $"--Operator:Secret={OperatorSecret}",
            $"--Apps:Default={DefaultApp}",
            // Only the NOTIFY path keeps an app change in force within 1 s; with the timer an hour away, AppDirectoryTests
            // sees a change only if that path works.
            "--Apps:RefreshEvery=01:00:00",
            "--Sync:HeartbeatEvery=00:00:02",
            // App usage (UsageTests) within a second of what it counts.
            "--Sync:UsageFlushEvery=00:00:01",
            "--Sync:AppTotalsEvery=00:00:01",
            $"--Workspace:ClaimRetryWindow={ClaimRetryWindow:c}",
            // Key rotation within a test's patience (KeyRotationTests): Auth rereads its ring every second and the
            // other services refetch its keys every two, instead of the production minute and ten minutes.
            "--Auth:KeyReloadEvery=00:00:01",
            "--Security:KeyRefreshEvery=00:00:02",
            $"--Auth:KeyEncryptionKey={KeyEncryptionKey}",
            // The production bundle, as a deployment serves it (no dev-server reloads while a browser test runs).
            "--WebClient:Script=serve",
        ];

        using var cts = new CancellationTokenSource(StartTimeout);
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.SyncEngine_AppHost>(
            args, (options, _) => options.DisableDashboard = !WithDashboard, cts.Token);
        // Test-side HTTP and hosting chatter stays out; the services' own logs stay in, since a failed test prints them
        // (and .ci/run repeats each failure's message at the end of its output).
        builder.Services.AddLogging(logging => logging.SetMinimumLevel(LogLevel.Warning)
            .AddFilter("SyncEngine.AppHost.Resources", LogLevel.Information));
        if (!builder.Resources.Any(r => r is SyncEngine.AppHost.Postgres.PostgresProcessResource or PostgresDatabaseResource))
        {
            throw new InvalidOperationException("The tests would run against a configured external PostgreSQL server; refusing.");
        }

        if (Transport == "rabbitmq" && !builder.Resources.Any(r => r is SyncEngine.AppHost.Messaging.RabbitMqProcessResource or RabbitMQServerResource))
        {
            throw new InvalidOperationException("The tests would run against a configured external RabbitMQ broker; refusing.");
        }

        foreach (var project in builder.Resources.OfType<ProjectResource>().ToList())
        {
            var resource = builder.CreateResourceBuilder(project);
            foreach (var (name, value) in ShortRunRuntime.Environment)
            {
                resource.WithEnvironment(name, value);
            }

            // Aspire has every service export its metrics and logs to the dashboard each second (for a person watching
            // it); the tests read only traces from it, so metrics and logs go at the SDK's default pace instead.
            resource.WithEnvironment("OTEL_METRIC_EXPORT_INTERVAL", "60000").WithEnvironment("OTEL_BLRP_SCHEDULE_DELAY", "5000");
        }

        _app = await builder.BuildAsync(cts.Token);
        await _app.StartAsync(cts.Token);
        foreach (var resource in new[] { "auth", "workspace", "sync", "gateway" })
        {
            await _app.ResourceNotifications.WaitForResourceHealthyAsync(resource, cts.Token);
        }

        // Requests wait at most UnansweredRequests.Patience, and a run whose app stops answering says why and ends soon.
        Gateway = new HttpClient(new UnansweredRequests(this) { InnerHandler = new SocketsHttpHandler() })
        {
            BaseAddress = _app.GetEndpoint("gateway", "http"),
        };
        Api = new SyncEngine.Client.SyncEngineClient(Gateway);
        // The web client builds its bundle before serving it: wait for the page, not just the process.
        var page = await Eventually.Until(async token =>
            {
                using var response = await Gateway.GetAsync("/", token);
                return response.StatusCode;
            },
            status => status == HttpStatusCode.OK, TimeSpan.FromMinutes(1), cts.Token);
        if (page != HttpStatusCode.OK)
        {
            throw new InvalidOperationException($"The web client did not come up through the gateway: GET / answered {(int)page}.");
        }

        // DCP randomizes the dashboard's public port too, so ask the app model where it ended up.
        if (WithDashboard)
        {
            await _app.ResourceNotifications.WaitForResourceAsync(Dashboard, KnownResourceStates.Running, cts.Token);
            _telemetry = new DashboardTelemetry(new HttpClient { BaseAddress = _app.GetEndpoint(Dashboard, "http") }, apiKey);
        }
    }

    /// <summary>A service's own endpoint, bypassing the gateway (the gateway's <c>management</c> port serves its /metrics and /health).</summary>
    public HttpClient CreateServiceClient(string resource, string endpoint = "http") => App.CreateHttpClient(resource, endpoint);

    /// <summary>A freshly claimed workspace: its id, its owner and the owner's master token.</summary>
    public async Task<(Guid WorkspaceId, Guid Owner, string Master)> NewWorkspaceAsync(CancellationToken ct)
    {
        var workspaceId = Guid.NewGuid();
        var owner = Guid.NewGuid();
        return (workspaceId, owner, (await Api.ClaimAsync(workspaceId, owner, Guid.NewGuid().ToString(), ct)).Token);
    }

    /// <summary>
    /// A workspace claimed in <paramref name="appId"/>, an app just registered, once every service the workspace's
    /// requests reach knows the app: each directory hears of it on its own within a second (a NOTIFY away), so a claim
    /// answered app-not-found before then is tried again, and then each Sync replica is read on its own port until it
    /// answers (a push there had been refused app-not-found: a clean-clone run of 02793e8, UsageTests).
    /// </summary>
    public async Task<(Guid WorkspaceId, Guid Owner, string Master)> NewWorkspaceInAppAsync(string appId, CancellationToken ct)
    {
        var (workspaceId, owner) = (Guid.NewGuid(), Guid.NewGuid());
        var claimed = await Eventually.Until(async t =>
        {
            try
            {
                return await Api.ClaimAsync(workspaceId, owner, Guid.NewGuid().ToString(), appId, t);
            }
            catch (SyncEngineApiException e) when (e.Code == "app-not-found")
            {
                return null;
            }
        }, c => c is not null, TimeSpan.FromSeconds(10), ct);
        var master = claimed!.Token;
        foreach (var address in await SyncReplicaAddressesAsync(ct))
        {
            using var http = new HttpClient { BaseAddress = address };
            var replica = new SyncEngineClient(http);
            var known = await Eventually.Until(async t =>
            {
                try
                {
                    await replica.PullAsync(master, workspaceId, 0, t);
                    return true;
                }
                catch (SyncEngineApiException e) when (e.Code == "app-not-found")
                {
                    return false;
                }
            }, k => k, TimeSpan.FromSeconds(10), ct);
            if (!known)
            {
                throw new InvalidOperationException($"Sync at {address} did not learn of app '{appId}' within 10 s.");
            }
        }

        return (workspaceId, owner, master);
    }

    /// <summary>A fresh operator token, through the gateway like any operator's (SyncEngine.Client's form post).</summary>
    public async Task<string> OperatorTokenAsync(CancellationToken ct) =>
        (await Api.GetOperatorTokenAsync(OperatorClientId, OperatorSecret, ct)).AccessToken;

    /// <summary>A new client granted <paramref name="scope"/> that has redeemed its invite.</summary>
    public async Task<(Guid Client, string Token)> NewMemberAsync(
        Guid workspaceId, string masterToken, string scope, CancellationToken ct, long? expiresInSeconds = null)
    {
        var client = Guid.NewGuid();
        var grant = await Api.GrantAsync(masterToken, workspaceId, client, scope, expiresInSeconds, ct);
        return (client, (await Api.JoinAsync(workspaceId, client, grant.InviteCode, ct)).Token);
    }

    public async ValueTask DisposeAsync()
    {
        Gateway?.Dispose();
        if (_app is not null)
        {
            var processes = (await ServiceProcessesAsync(_app, resourceName: null, CancellationToken.None)).Select(p => p.Pid).ToList();
            var stoppedAt = DateTime.Now;
            await _app.StopAsync();
            await _app.DisposeAsync();
            // A replica restarted by a test (DurabilityTests) can outlive DCP's teardown; end what this app started.
            foreach (var pid in processes)
            {
                try
                {
                    using var process = System.Diagnostics.Process.GetProcessById(pid);
                    // Only our own services, and only a process that already ran then: never a recycled pid.
                    if ((process.ProcessName.StartsWith("Services.", StringComparison.Ordinal) || process.ProcessName == "Gateway")
                        && process.StartTime < stoppedAt)
                    {
                        process.Kill(entireProcessTree: true);
                    }
                }
                catch (Exception e) when (e is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception)
                {
                    // Already gone, as it should be.
                }
            }
        }

        try
        {
            Directory.Delete(_clusterDirectory, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
        }
    }

    /// <summary>Each Sync replica's own address, bypassing Aspire's proxy (which picks a replica per connection).</summary>
    public async Task<IReadOnlyList<Uri>> SyncReplicaAddressesAsync(CancellationToken ct) =>
        (await ServiceProcessesAsync(App, "sync", ct)).Select(p => ServiceProcesses.DirectAddressOf(p.Pid)).OfType<Uri>().ToList();

    /// <summary>
    /// The running service processes (not their `dotnet run` wrappers) by resource id, replicas and restarts included;
    /// all resources when <paramref name="resourceName"/> is null.
    /// </summary>
    public static async Task<IReadOnlyList<(string ResourceId, int Pid)>> ServiceProcessesAsync(
        DistributedApplication app, string? resourceName, CancellationToken ct)
    {
        var processes = new List<(string, int)>();
        foreach (var (id, (name, snapshot)) in await ResourcesAsync(app, ct))
        {
            if ((resourceName is null || name == resourceName)
                && snapshot.State?.Text == KnownResourceStates.Running
                && snapshot.Properties.FirstOrDefault(p => p.Name.EndsWith(".pid", StringComparison.Ordinal))?.Value is { } pid
                && int.TryParse(pid.ToString(), out var wrapper) && ServiceProcesses.ServiceProcessOf(wrapper) is { } service)
            {
                processes.Add((id, service));
            }
        }

        return processes;
    }

    /// <summary>
    /// Waits until <paramref name="resource"/> (every replica of it) is healthy; past <paramref name="within"/>, fails
    /// with every resource's state and the last lines of any that exited with a failure, which say why.
    /// </summary>
    public async Task WaitUntilHealthyAsync(string resource, TimeSpan within, CancellationToken ct)
    {
        using var patience = CancellationTokenSource.CreateLinkedTokenSource(ct);
        patience.CancelAfter(within);
        try
        {
            await App.ResourceNotifications.WaitForResourceHealthyAsync(resource, patience.Token);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new TimeoutException($"{resource} was not healthy within {within}. Resources: {await ResourceStatesAsync()}{await FailedResourcesAsync()}");
        }
    }

    /// <summary>Each resource's state (and exit code, when it exited): a stopped service shows here as what it is.</summary>
    public async Task<string> ResourceStatesAsync() =>
        string.Join(", ", (await ResourcesAsync(App, CancellationToken.None)).Select(r =>
            $"{r.Key} {r.Value.Snapshot.State?.Text}{(r.Value.Snapshot.ExitCode is { } code ? $" (exit {code})" : "")}"));

    /// <summary>The last lines of every resource that exited with a failure (a replica that could not start again says why), or "".</summary>
    public async Task<string> FailedResourcesAsync()
    {
        var report = new System.Text.StringBuilder();
        foreach (var (id, (_, snapshot)) in await ResourcesAsync(App, CancellationToken.None))
        {
            if (snapshot.ExitCode is { } code and not 0)
            {
                report.Append($"\n  {id} exited {code}; its last lines:{await LogTailAsync(id, 25)}");
            }
        }

        return report.ToString();
    }

    private async Task<string> LogTailAsync(string resourceId, int lines)
    {
        var tail = new Queue<string>();
        using var enough = new CancellationTokenSource(TimeSpan.FromSeconds(3));
        try
        {
            await foreach (var batch in App.Services.GetRequiredService<ResourceLoggerService>().GetAllAsync(resourceId).WithCancellation(enough.Token))
            {
                foreach (var line in batch)
                {
                    tail.Enqueue(line.Content);
                    if (tail.Count > lines)
                    {
                        tail.Dequeue();
                    }
                }
            }
        }
        catch (OperationCanceledException)
        {
        }

        return tail.Count == 0 ? " (none kept)" : string.Concat(tail.Select(line => "\n    | " + line));
    }

    /// <summary>
    /// Every resource's latest state by resource id (each replica its own), as Aspire's notifications tell it. Watching
    /// replays every instance's current state and then waits for changes, so this stops as soon as every instance of
    /// every resource in the model has been heard of; the while it otherwise waits (3 s, a fallback for a resource that
    /// never reports) made each call cost 3 s, most of a conformance file's time.
    /// </summary>
    public static async Task<IReadOnlyDictionary<string, (string Name, CustomResourceSnapshot Snapshot)>> ResourcesAsync(
        DistributedApplication app, CancellationToken ct)
    {
        var instances = app.Services.GetRequiredService<DistributedApplicationModel>().Resources
            .ToDictionary(r => r.Name, r => r.GetReplicaCount(), StringComparer.Ordinal);
        var resources = new SortedDictionary<string, (string Name, CustomResourceSnapshot Snapshot)>(StringComparer.Ordinal);
        using var enough = CancellationTokenSource.CreateLinkedTokenSource(ct);
        enough.CancelAfter(TimeSpan.FromSeconds(3));
        try
        {
            await foreach (var update in app.ResourceNotifications.WatchAsync(enough.Token))
            {
                resources[update.ResourceId] = (update.Resource.Name, update.Snapshot);
                if (instances.All(resource => resources.Values.Count(r => r.Name == resource.Key) >= resource.Value))
                {
                    break;
                }
            }
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
        }

        return resources;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

[CollectionDefinition(Name)]
public sealed class SyncEngineCollection : ICollectionFixture<SyncEngineApp>
{
    public const string Name = "SyncEngine app";
}
