using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using SyncEngine.AppHost.Postgres;

namespace SyncEngine.AppHost.Messaging;

/// <summary>
/// A RabbitMQ node of the AppHost's own, in a folder of its own (<c>.data/rabbitmq</c>, or under
/// <c>Postgres:DataDirectory</c>): its configuration, Erlang cookie, data and user are there, none of the system's
/// (<c>/etc/rabbitmq</c>, <c>/var/lib/rabbitmq</c>) is read, and a system broker started by its package is left alone.
/// The node is named after its folder, listens on loopback only (AMQP on the port Aspire gives, Erlang distribution on a
/// free one), and creates the user <c>syncengine</c> with a generated password on its first start.
/// </summary>
public sealed class RabbitMqNode
{
    // Debian's package: /usr/sbin/rabbitmq-server is a wrapper that switches to the rabbitmq account, which would run
    // the node with the system's settings; the script it wraps runs in place.
    private static readonly string[] SystemPlaces = ["/usr/lib/rabbitmq/bin"];

    private RabbitMqNode(string server, string root)
    {
        Server = server;
        Root = root;
        NodeName = $"syncengine-{Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(root)))[..8].ToLowerInvariant()}@localhost";
    }

    public string Server { get; }
    public string Root { get; }
    public string NodeName { get; }
    private string PasswordFile => Path.Combine(Root, "password");
    public string Password => File.ReadAllText(PasswordFile).Trim();

    /// <summary>The rabbitmq-server script: in <paramref name="binDirectory"/> when given, else Debian's place, else on PATH.</summary>
    public static string? FindServer(string? binDirectory)
    {
        IEnumerable<string> places = string.IsNullOrWhiteSpace(binDirectory)
            ? [.. SystemPlaces, .. (System.Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)]
            : [binDirectory];
        return places.Select(dir => Path.Combine(dir, "rabbitmq-server")).FirstOrDefault(File.Exists);
    }

    public static string Places(string? binDirectory) =>
        string.IsNullOrWhiteSpace(binDirectory) ? $"{string.Join(", ", SystemPlaces)} or on PATH" : binDirectory;

    public static RabbitMqNode Prepare(string server, string root)
    {
        var node = new RabbitMqNode(server, Path.GetFullPath(root));
        Directory.CreateDirectory(node.Root);
        if (!File.Exists(node.PasswordFile))
        {
            File.WriteAllText(node.PasswordFile, Convert.ToHexString(RandomNumberGenerator.GetBytes(16)).ToLowerInvariant());
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(node.PasswordFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            }
        }

        // Read at every start, but the user is created only on the node's first (its data then remembers it).
        File.WriteAllText(Path.Combine(node.Root, "rabbitmq.conf"),
            $"""
            default_user = {RabbitMqProcessResource.UserName}
            default_pass = {node.Password}
            default_permissions.configure = .*
            default_permissions.read = .*
            default_permissions.write = .*

            """);
        File.WriteAllText(Path.Combine(node.Root, "enabled_plugins"), "[].\n");
        return node;
    }

    /// <summary>The variables that make rabbitmq-server run this node and nothing of the system's.</summary>
    public IEnumerable<(string Key, string Value)> Environment()
    {
        // The Erlang cookie lives in $HOME.
        yield return ("HOME", Root);
        // Paths that do not exist: the system's rabbitmq-env.conf and advanced.config would otherwise be read.
        yield return ("RABBITMQ_CONF_ENV_FILE", Path.Combine(Root, "rabbitmq-env.conf"));
        yield return ("RABBITMQ_ADVANCED_CONFIG_FILE", Path.Combine(Root, "advanced.config"));
        yield return ("RABBITMQ_CONFIG_FILE", Path.Combine(Root, "rabbitmq"));
        yield return ("RABBITMQ_ENABLED_PLUGINS_FILE", Path.Combine(Root, "enabled_plugins"));
        yield return ("RABBITMQ_MNESIA_BASE", Path.Combine(Root, "mnesia"));
        yield return ("RABBITMQ_LOG_BASE", Path.Combine(Root, "log"));
        // Logs to standard output, so they show in the dashboard.
        yield return ("RABBITMQ_LOGS", "-");
        yield return ("RABBITMQ_NODENAME", NodeName);
        yield return ("RABBITMQ_NODE_IP_ADDRESS", "127.0.0.1");
        yield return ("RABBITMQ_DIST_PORT", FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture));
        yield return ("RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS", "-kernel inet_dist_use_interface {127,0,0,1}");
        // The node starts Erlang's port mapper (epmd) if none runs; bound to loopback, it is shared by every node here
        // and outlives them, as it does for any Erlang node.
        yield return ("ERL_EPMD_ADDRESS", "127.0.0.1");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
