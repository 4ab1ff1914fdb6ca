using System.Security.Cryptography;
using System.Text;

namespace SyncEngine.AppHost.Postgres;

/// <summary>
/// A cluster directory (<c>data/</c> plus the superuser's <c>password</c>), created with initdb the first time.
/// PostgreSQL refuses to run as root, so a root AppHost runs initdb and postgres as an unprivileged user through
/// setpriv, which execs in place: the SIGTERM that stops the resource reaches postgres itself.
/// </summary>
public sealed class PostgresCluster
{
    private readonly PostgresBinaries _binaries;
    private readonly (string Uid, string Gid)? _runAs;

    private PostgresCluster(PostgresBinaries binaries, string root, (string, string)? runAs)
    {
        _binaries = binaries;
        Root = root;
        _runAs = runAs;
    }

    public string Root { get; }
    public string DataDirectory => Path.Combine(Root, "data");
    private string PasswordFile => Path.Combine(Root, "password");
    public string Password => File.ReadAllText(PasswordFile).Trim();

    public static PostgresCluster Prepare(PostgresBinaries binaries, string root)
    {
        (string Uid, string Gid)? runAs = Environment.IsPrivilegedProcess ? UnprivilegedUser() : null;
        var cluster = new PostgresCluster(binaries, Path.GetFullPath(root), runAs);
        cluster.Initialize();
        if (runAs is not null && !cluster.Reachable())
        {
            // e.g. a checkout under /root, which the postgres user cannot traverse.
            var elsewhere = Path.Combine("/var/tmp/syncengine", Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(cluster.Root)))[..12]);
            Console.WriteLine($"[postgres] {cluster.Root} is not reachable by uid {runAs.Value.Uid}; keeping the cluster in {elsewhere} instead.");
            cluster = new PostgresCluster(binaries, elsewhere, runAs);
            cluster.Initialize();
        }

        return cluster;
    }

    /// <summary>The command and arguments that run the server in the foreground (the port comes from PGPORT).</summary>
    public (string Command, string[] Args) ServerCommand()
    {
        string[] server =
        [
            _binaries.Postgres, "-D", DataDirectory,
            "-c", "listen_addresses=127.0.0.1",
            // No Unix socket: avoids clashing with a system cluster's /var/run/postgresql.
            "-c", "unix_socket_directories=",
            // Three services (Sync with replicas), each with a pool and Wolverine's listeners.
            "-c", "max_connections=400",
        ];
        return Privileged(server);
    }

    private void Initialize()
    {
        Directory.CreateDirectory(Root);
        if (!File.Exists(PasswordFile))
        {
            File.WriteAllText(PasswordFile, Convert.ToHexString(RandomNumberGenerator.GetBytes(16)).ToLowerInvariant());
        }

        if (File.Exists(Path.Combine(DataDirectory, "PG_VERSION")))
        {
            Own();
            return;
        }

        if (Directory.Exists(DataDirectory) && Directory.EnumerateFileSystemEntries(DataDirectory).Any())
        {
            throw new PrerequisiteMissingException(
                $"{DataDirectory} is not empty but holds no PostgreSQL cluster. Remove it so the AppHost can create a fresh one.");
        }

        Directory.CreateDirectory(DataDirectory);
        Own();
        Console.WriteLine($"[postgres] creating a cluster in {DataDirectory} ({_binaries.Source} binaries)...");
        var (command, args) = Privileged(
        [
            _binaries.InitDb, "-D", DataDirectory, "-U", "postgres", "--pwfile", PasswordFile,
            "--auth", "scram-sha-256", "--encoding", "UTF8", "--no-locale",
        ]);
        var initdb = ProcessRunner.Run(command, args, TimeSpan.FromMinutes(2));
        if (!initdb.Succeeded)
        {
            throw new PrerequisiteMissingException($"initdb failed in {DataDirectory}: {initdb.Output}");
        }
    }

    private void Own()
    {
        if (_runAs is { } user)
        {
            var chown = ProcessRunner.Run("chown", ["-R", $"{user.Uid}:{user.Gid}", Root], TimeSpan.FromMinutes(1));
            if (!chown.Succeeded)
            {
                throw new PrerequisiteMissingException($"Could not hand {Root} to uid {user.Uid}: {chown.Output}");
            }
        }
    }

    private bool Reachable()
    {
        var (command, args) = Privileged(["test", "-w", DataDirectory]);
        return ProcessRunner.Run(command, args, TimeSpan.FromSeconds(10)).Succeeded;
    }

    private (string Command, string[] Args) Privileged(string[] commandLine) => _runAs is { } user
        ? ("setpriv", ["--reuid", user.Uid, "--regid", user.Gid, "--clear-groups", "--", .. commandLine])
        : (commandLine[0], commandLine[1..]);

    /// <summary>The system's postgres account when there is one (Debian's package creates it), else nobody.</summary>
    private static (string Uid, string Gid) UnprivilegedUser()
    {
        var accounts = File.Exists("/etc/passwd") ? File.ReadAllLines("/etc/passwd") : [];
        foreach (var name in new[] { "postgres", "nobody" })
        {
            var fields = accounts.Select(line => line.Split(':')).FirstOrDefault(f => f.Length > 3 && f[0] == name);
            if (fields is not null)
            {
                return (fields[2], fields[3]);
            }
        }

        throw new PrerequisiteMissingException("Running as root, but neither a 'postgres' nor a 'nobody' account exists to run PostgreSQL as.");
    }
}
