using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using RabbitMQ.Client;

namespace SyncEngine.Topology;

/// <summary>
/// A throwaway RabbitMQ node for the production topology: Debian's rabbitmq-server (<c>apt-get install
/// rabbitmq-server</c>, which .ci/run installs) run as a process of its own, with its configuration, cookie and data
/// in a temporary folder (nothing of /etc/rabbitmq or /var/lib/rabbitmq is read, a system broker is left alone), on
/// 127.0.0.1 and free ports, as the AppHost's RabbitMqNode runs it. Removed, folder and all, when disposed.
/// </summary>
public sealed class TestRabbitMq : IAsyncDisposable
{
    private const string User = "syncengine";
    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(60);

    private readonly Process _process;
    private readonly string _root;

    private TestRabbitMq(Process process, string root, string connectionString)
    {
        _process = process;
        _root = root;
        ConnectionString = connectionString;
    }

    /// <summary>The AMQP URI the services get (Compose's <c>ConnectionStrings__rabbitmq</c>).</summary>
    public string ConnectionString { get; }

    public static async Task<TestRabbitMq> StartAsync(TextWriter log, CancellationToken ct)
    {
        var server = new[] { "/usr/lib/rabbitmq/bin/rabbitmq-server" }
            .Concat((Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries).Select(d => Path.Combine(d, "rabbitmq-server")))
            .FirstOrDefault(File.Exists)
            ?? throw new InvalidOperationException("rabbitmq-server was not found: apt-get install rabbitmq-server (.ci/run does).");
        var root = Directory.CreateTempSubdirectory("syncengine-rabbitmq-").FullName;
        var password = Convert.ToHexString(RandomNumberGenerator.GetBytes(16)).ToLowerInvariant();
        var port = FreePort();
        await File.WriteAllTextAsync(Path.Combine(root, "rabbitmq.conf"),
            $"default_user = {User}\ndefault_pass = {password}\ndefault_permissions.configure = .*\n" +
            "default_permissions.read = .*\ndefault_permissions.write = .*\n", ct);
        await File.WriteAllTextAsync(Path.Combine(root, "enabled_plugins"), "[].\n", ct);

        var start = new ProcessStartInfo(server) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = root };
        foreach (var (key, value) in new Dictionary<string, string>
        {
            ["HOME"] = root,
            ["RABBITMQ_CONF_ENV_FILE"] = Path.Combine(root, "rabbitmq-env.conf"),
            ["RABBITMQ_ADVANCED_CONFIG_FILE"] = Path.Combine(root, "advanced.config"),
            ["RABBITMQ_CONFIG_FILE"] = Path.Combine(root, "rabbitmq"),
            ["RABBITMQ_ENABLED_PLUGINS_FILE"] = Path.Combine(root, "enabled_plugins"),
            ["RABBITMQ_MNESIA_BASE"] = Path.Combine(root, "mnesia"),
            ["RABBITMQ_LOG_BASE"] = Path.Combine(root, "log"),
            ["RABBITMQ_LOGS"] = "-",
            ["RABBITMQ_NODENAME"] = $"syncengine-topology-{Path.GetFileName(root)}@localhost",
            ["RABBITMQ_NODE_IP_ADDRESS"] = "127.0.0.1",
            ["RABBITMQ_NODE_PORT"] = port.ToString(CultureInfo.InvariantCulture),
            ["RABBITMQ_DIST_PORT"] = FreePort().ToString(CultureInfo.InvariantCulture),
            ["RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS"] = "-kernel inet_dist_use_interface {127,0,0,1}",
            ["ERL_EPMD_ADDRESS"] = "127.0.0.1",
        })
        {
            start.Environment[key] = value;
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("rabbitmq-server did not start.");
        // Drained, or a full pipe would stall the node.
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var broker = new TestRabbitMq(process, root, $"amqp://{User}:{password}@127.0.0.1:{port}");
        try
        {
            await broker.WaitUntilReadyAsync(ct);
            await log.WriteLineAsync($"[topology] rabbitmq-server ready on 127.0.0.1:{port}");
            return broker;
        }
        catch
        {
            await broker.DisposeAsync();
            throw;
        }
    }

    /// <summary>Until the node takes an AMQP connection with the services' credentials (the Erlang VM takes seconds).</summary>
    private async Task WaitUntilReadyAsync(CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        var factory = new ConnectionFactory { Uri = new Uri(ConnectionString), RequestedConnectionTimeout = TimeSpan.FromSeconds(3), AutomaticRecoveryEnabled = false };
        while (true)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"rabbitmq-server exited with {_process.ExitCode} before it took connections.");
            }

            try
            {
                await using var connection = await factory.CreateConnectionAsync(ct);
                return;
            }
            catch (Exception e) when (e is RabbitMQ.Client.Exceptions.BrokerUnreachableException or IOException && clock.Elapsed < ReadyTimeout)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(250), ct);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync(CancellationToken.None);
        }

        _process.Dispose();
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
            // A file the node still held at exit; the folder is in the system's temporary directory.
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
