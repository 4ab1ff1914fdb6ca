using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using SyncEngine.Testing;

namespace SyncEngine.Topology;

/// <summary>
/// The production topology run for real on one machine: the <c>dotnet publish</c> output of every service started as
/// separate processes with the environment deploy/compose/compose.yaml gives them (no AppHost, no DCP, no development
/// settings), Sync as many replicas as the file runs, against a throwaway PostgreSQL cluster provisioned with
/// service-roles.sql. Only the network differs from Compose, because here everything shares loopback: each process
/// listens on 127.0.0.1 at a free port (<c>ASPNETCORE_URLS</c> in place of <c>HTTP_PORTS</c>), and an address such as
/// <c>http://sync:8080</c>, which Docker's DNS would answer with every replica, becomes one destination per replica.
/// </summary>
public sealed class ProductionTopology : IAsyncDisposable
{
    /// <summary>The deployable programs: Compose's service name, the project under src/.</summary>
    public static readonly IReadOnlyList<(string Service, string Project)> Deployables =
        [("gateway", "Gateway"), ("auth", "Services.Auth"), ("workspace", "Services.Workspace"), ("sync", "Services.Sync")];

    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(90);

    private readonly List<ServiceProcess> _processes = [];
    private readonly TestPostgres _database;

    private ProductionTopology(TestPostgres database, string operatorSecret)
    {
        _database = database;
        OperatorSecret = operatorSecret;
    }

    /// <summary>The public origin.</summary>
    public Uri Gateway { get; private set; } = null!;

    /// <summary>The gateway's management port: /health, /alive, /metrics.</summary>
    public Uri GatewayManagement { get; private set; } = null!;

    /// <summary>Each Sync replica's own address, for checks that must reach one replica and not the gateway's choice.</summary>
    public IReadOnlyList<Uri> SyncReplicas { get; private set; } = [];

    public TestPostgres Database => _database;
    public string OperatorClientId { get; private set; } = "operator";
    public string OperatorSecret { get; }
    public IReadOnlyList<ServiceProcess> Processes => _processes;

    /// <summary>
    /// Publishes the four programs into <paramref name="root"/>, the gateway with the web client built into it. Release
    /// builds them (what the images hold), and MSBuild's incremental build makes a repeat cheap. Build servers are not
    /// left running after it.
    /// </summary>
    public static Task PublishAsync(string root, TextWriter log, CancellationToken ct) => PublishAsync(root, "Release", alreadyBuilt: false, log, ct);

    /// <summary>
    /// Publishes the programs as already built in <paramref name="configuration"/> (<c>--no-build</c>): the binaries the
    /// rest of a test run has proven, laid out as a publish lays them out, without compiling everything again.
    /// The caller makes sure that build is current (SyncEngine.Topology.Tests references the four projects).
    /// </summary>
    public static Task PublishBuiltAsync(string root, string configuration, TextWriter log, CancellationToken ct) =>
        PublishAsync(root, configuration, alreadyBuilt: true, log, ct);

    private static async Task PublishAsync(string root, string configuration, bool alreadyBuilt, TextWriter log, CancellationToken ct)
    {
        foreach (var (service, project) in Deployables)
        {
            var started = Stopwatch.StartNew();
            List<string> args =
            [
                "publish", Path.Combine(Repository.Root, "src", project), "-c", configuration, "-o", Path.Combine(root, service),
                "--nologo", "-v:q", "--disable-build-servers",
            ];
            if (alreadyBuilt)
            {
                args.Add("--no-build");
            }

            if (service == "gateway")
            {
                // A folder of its own: nothing else that builds the web client (a developer's `npm run build` into dist/) changes it.
                args.AddRange(["-p:BuildWebClient=true", $"-p:WebClientBundleDirectory={Path.Combine(root, "web-bundle")}/"]);
            }

            var (exit, output) = await RunAsync("dotnet", args, ct);
            if (exit != 0)
            {
                throw new InvalidOperationException($"dotnet publish {project} failed ({exit}):\n{output}");
            }

            await log.WriteLineAsync($"[topology] published {project} in {started.Elapsed.TotalSeconds:0.0} s");
        }
    }

    /// <summary>
    /// Starts PostgreSQL and the published programs in Compose's order (Auth; then Workspace and Sync; then the
    /// gateway), each once the ones it depends on answer /health, and returns when the gateway does.
    /// </summary>
    public static async Task<ProductionTopology> StartAsync(string published, TopologyOptions options, TextWriter log, CancellationToken ct)
    {
        var database = await TestPostgres.StartAsync(ct);
        var operatorSecret = Convert.ToHexString(RandomNumberGenerator.GetBytes(32)).ToLowerInvariant();
        var topology = new ProductionTopology(database, operatorSecret);
        try
        {
            await topology.StartServicesAsync(published, options, log, ct);
            return topology;
        }
        catch
        {
            await topology.DisposeAsync();
            throw;
        }
    }

    private async Task StartServicesAsync(string published, TopologyOptions options, TextWriter log, CancellationToken ct)
    {
        var compose = DeployFiles.Compose();
        var ports = compose.Values.ToDictionary(s => s.Name, s => Enumerable.Range(0, s.Replicas)
            .Select(_ => s.ContainerPorts.ToDictionary(p => p, _ => FreePort())).ToList());
        Gateway = new Uri($"http://127.0.0.1:{ports["gateway"][0][8080]}");
        GatewayManagement = new Uri($"http://127.0.0.1:{ports["gateway"][0][9464]}");
        SyncReplicas = [.. ports["sync"].Select(replica => new Uri($"http://127.0.0.1:{replica[8080]}"))];

        // What .env.example asks the operator for, filled in for this run.
        var dotEnv = new Dictionary<string, string>
        {
            ["SYNCENGINE_AUTH_CONNECTION_STRING"] = _database.ConnectionStringOf("auth"),
            ["SYNCENGINE_WORKSPACE_CONNECTION_STRING"] = _database.ConnectionStringOf("workspace"),
            ["SYNCENGINE_SYNC_CONNECTION_STRING"] = _database.ConnectionStringOf("sync"),
            ["SYNCENGINE_KEY_ENCRYPTION_KEY"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
            ["SYNCENGINE_OPERATOR_SECRET_HASH"] = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(OperatorSecret))),
            ["SYNCENGINE_PUBLIC_ORIGIN"] = Gateway.ToString().TrimEnd('/'),
            ["SYNCENGINE_MESSAGING_TRANSPORT"] = options.Transport,
        };
        if (options.BrokerConnectionString is { } broker)
        {
            dotEnv["SYNCENGINE_RABBITMQ_CONNECTION_STRING"] = broker;
        }

        foreach (var stage in new[] { new[] { "auth" }, ["workspace", "sync"], ["gateway"] })
        {
            var started = stage.SelectMany(name => ports[name].Select((replicaPorts, replica) =>
                Start(published, compose[name], replica, Environment(compose[name], replicaPorts, ports, dotEnv, options.Runtime), replicaPorts, log))).ToList();
            _processes.AddRange(started);
            await Task.WhenAll(started.Select(p => p.WaitUntilReadyAsync(ReadyTimeout, ct)));
            await log.WriteLineAsync($"[topology] ready: {string.Join(", ", started.Select(p => $"{p.Name} {p.Address}"))}");
        }

        OperatorClientId = dotEnv.GetValueOrDefault("SYNCENGINE_OPERATOR_CLIENT_ID") ?? compose["auth"].Environment["Operator__ClientId"].Default ?? "operator";
    }

    /// <summary>
    /// The service's environment as Compose would give it (variables from <paramref name="dotEnv"/> or the file's
    /// defaults), with the network rewritten for loopback.
    /// </summary>
    private static Dictionary<string, string> Environment(
        DeployedService service, Dictionary<int, int> own, Dictionary<string, List<Dictionary<int, int>>> ports, Dictionary<string, string> dotEnv,
        IReadOnlyDictionary<string, string>? runtime)
    {
        var environment = new Dictionary<string, string>(runtime ?? new Dictionary<string, string>());
        foreach (var (key, value) in service.Environment)
        {
            var text = Resolve(service.Name, key, value, dotEnv);
            switch (key)
            {
                case "HTTP_PORTS":
                    environment["ASPNETCORE_URLS"] = string.Join(';', text.Split(';').Select(p => $"http://127.0.0.1:{own[int.Parse(p, CultureInfo.InvariantCulture)]}"));
                    break;
                case "Management__Port":
                    environment[key] = own[int.Parse(text, CultureInfo.InvariantCulture)].ToString(CultureInfo.InvariantCulture);
                    break;
                default:
                    if (Uri.TryCreate(text, UriKind.Absolute, out var uri) && ports.TryGetValue(uri.Host, out var target)
                        && key.StartsWith("services__", StringComparison.Ordinal) && key.EndsWith("__0", StringComparison.Ordinal))
                    {
                        // One destination per replica, where Docker's DNS would answer the one name with every address.
                        for (var i = 0; i < target.Count; i++)
                        {
                            environment[key[..^1] + i.ToString(CultureInfo.InvariantCulture)] = $"http://127.0.0.1:{target[i][uri.Port]}";
                        }
                    }
                    else
                    {
                        environment[key] = text;
                    }

                    break;
            }
        }

        return environment;
    }

    /// <summary>Compose's interpolation: <c>${NAME:-default}</c> when NAME is unset or empty, <c>${NAME:?…}</c> refused then.</summary>
    private static string Resolve(string service, string key, EnvironmentValue value, Dictionary<string, string> dotEnv)
    {
        if (value.Literal is { } literal)
        {
            return literal;
        }

        if (dotEnv.GetValueOrDefault(value.From!) is { Length: > 0 } set)
        {
            return set;
        }

        return value.Secret
            ? throw new InvalidOperationException($"{service}: {key} needs ${{{value.From}}}, which this run does not set.")
            : value.Default ?? "";
    }

    private static ServiceProcess Start(
        string published, DeployedService service, int replica, Dictionary<string, string> environment, Dictionary<int, int> own, TextWriter log)
    {
        var project = Deployables.Single(d => d.Service == service.Name).Project;
        var directory = Path.Combine(published, service.Name);
        // The image's working directory is the program's folder (/app): Gateway__WebRoot=web is relative to it.
        var info = new ProcessStartInfo(Path.Combine(directory, project))
        {
            WorkingDirectory = directory,
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        // Nothing of this machine's environment but what finds the runtime: no ASPNETCORE_ENVIRONMENT, no OTEL_*, no
        // DOTNET_* left over from the test runner.
        info.Environment.Clear();
        foreach (var inherited in new[] { "PATH", "HOME", "TMPDIR", "LANG", "DOTNET_ROOT" })
        {
            if (System.Environment.GetEnvironmentVariable(inherited) is { } value)
            {
                info.Environment[inherited] = value;
            }
        }

        foreach (var (key, value) in environment)
        {
            info.Environment[key] = value;
        }

        var name = service.Replicas > 1 ? $"{service.Name}-{replica + 1}" : service.Name;
        var probe = service.Readiness ?? throw new InvalidOperationException($"{service.Name} has no health check in compose.yaml.");
        return ServiceProcess.Start(name, info, new Uri($"http://127.0.0.1:{own[8080]}"), new Uri($"http://127.0.0.1:{own[probe.Port]}{probe.Path}"), log);
    }

    public async ValueTask DisposeAsync()
    {
        // The gateway first, Auth last: the reverse of the start.
        foreach (var process in Enumerable.Reverse(_processes))
        {
            await process.DisposeAsync();
        }

        await _database.DisposeAsync();
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    internal static async Task<(int ExitCode, string Output)> RunAsync(string command, IEnumerable<string> args, CancellationToken ct)
    {
        var info = new ProcessStartInfo(command) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        using var process = Process.Start(info) ?? throw new InvalidOperationException($"{command} did not start.");
        var output = process.StandardOutput.ReadToEndAsync(ct);
        var error = process.StandardError.ReadToEndAsync(ct);
        await process.WaitForExitAsync(ct);
        return (process.ExitCode, await output + await error);
    }
}

/// <summary>
/// Which queues the services use: Compose's <c>Messaging__Transport</c> and, for RabbitMQ, the broker's URI; and
/// runtime settings (<c>DOTNET_*</c>) given every process besides Compose's environment, which change nothing the
/// services do (the tests pass ShortRunRuntime's).
/// </summary>
public sealed record TopologyOptions(
    string Transport = "postgresql", string? BrokerConnectionString = null, IReadOnlyDictionary<string, string>? Runtime = null);
