using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Npgsql;
using SyncEngine.AppHost.Postgres;

namespace SyncEngine.Testing;

/// <summary>
/// A throwaway PostgreSQL cluster for one test assembly: found and created the way the AppHost does it
/// (<see cref="PostgresBinaries"/>, <see cref="PostgresCluster"/>), on loopback at a free port, its data in a temporary
/// directory removed at the end, with the database <c>syncengine</c> and each service's own role from service-roles.sql.
/// </summary>
public sealed class TestPostgres : IAsyncDisposable
{
    public const string DatabaseName = "syncengine";
    private static readonly string[] ServiceNames = ["auth", "workspace", "sync"];
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);

    private Process _server;
    private readonly PostgresCluster _cluster;
    private readonly System.Collections.Concurrent.ConcurrentQueue<string> _log;
    private readonly string _root;
    private readonly int _port;
    private readonly string _superuserPassword;
    private readonly Dictionary<string, string> _passwords =
        ServiceNames.ToDictionary(s => s, _ => Convert.ToHexString(RandomNumberGenerator.GetBytes(16)).ToLowerInvariant());

    private TestPostgres(Process server, PostgresCluster cluster, System.Collections.Concurrent.ConcurrentQueue<string> log, int port, string superuserPassword)
    {
        _server = server;
        _cluster = cluster;
        _log = log;
        _root = cluster.Root;
        _port = port;
        _superuserPassword = superuserPassword;
    }

    public string SuperuserConnectionString => Connection("postgres", _superuserPassword, DatabaseName);

    /// <summary>What a service gets as <c>ConnectionStrings:syncengine</c>: its own role, as in production.</summary>
    public string ConnectionStringOf(string service) => Connection($"syncengine_{service}", _passwords[service], DatabaseName);

    /// <summary>A connection as the superuser, for tests that look at what a service stored.</summary>
    public async Task<NpgsqlConnection> OpenAsync(CancellationToken ct)
    {
        var connection = new NpgsqlConnection(SuperuserConnectionString);
        await connection.OpenAsync(ct);
        return connection;
    }

    public static async Task<TestPostgres> StartAsync(CancellationToken ct = default)
    {
        var binaries = PostgresBinaries.FindSystem(Environment.GetEnvironmentVariable("SYNCENGINE_POSTGRES_BIN"))
            ?? throw new PrerequisiteMissingException(
                "The integration tests need PostgreSQL binaries (initdb, postgres): install PostgreSQL 15+ " +
                "(e.g. `apt-get install postgresql`, as .ci/run does) or set SYNCENGINE_POSTGRES_BIN to their folder.");
        var root = Path.Combine(Path.GetTempPath(), $"syncengine-it-{Guid.NewGuid():N}");
        var cluster = PostgresCluster.Prepare(binaries, root);
        var port = FreePort();
        var log = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var server = Launch(cluster, port, log);
        var postgres = new TestPostgres(server, cluster, log, port, cluster.Password);
        try
        {
            await postgres.WaitUntilAcceptingAsync(log, ct);
            await postgres.ProvisionAsync(ct);
            return postgres;
        }
        catch
        {
            await postgres.DisposeAsync();
            throw;
        }
    }

    private static Process Launch(PostgresCluster cluster, int port, System.Collections.Concurrent.ConcurrentQueue<string> log)
    {
        var (command, args) = cluster.ServerCommand();
        var info = new ProcessStartInfo(command) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        info.Environment["PGPORT"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var server = Process.Start(info) ?? throw new InvalidOperationException($"{command} did not start.");
        server.OutputDataReceived += (_, e) => { if (e.Data is not null) log.Enqueue(e.Data); };
        server.ErrorDataReceived += (_, e) => { if (e.Data is not null) log.Enqueue(e.Data); };
        server.BeginOutputReadLine();
        server.BeginErrorReadLine();
        return server;
    }

    /// <summary>
    /// What <c>pg_ctl stop -m immediate</c> does (SIGQUIT to the postmaster): every session is cut at once, nothing is
    /// flushed beyond the WAL already written, and the next start recovers from the WAL. For outage tests.
    /// </summary>
    public async Task StopImmediatelyAsync(CancellationToken ct)
    {
        ProcessRunner.Run("kill", ["-QUIT", _server.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)], TimeSpan.FromSeconds(5));
        await _server.WaitForExitAsync(ct);
    }

    /// <summary>Starts the cluster again, same data and port, after <see cref="StopImmediatelyAsync"/>; returns once it accepts connections.</summary>
    public async Task RestartAsync(CancellationToken ct)
    {
        _server.Dispose();
        _server = Launch(_cluster, _port, _log);
        await WaitUntilAcceptingAsync(_log, ct);
    }

    private async Task WaitUntilAcceptingAsync(System.Collections.Concurrent.ConcurrentQueue<string> log, CancellationToken ct)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(StartTimeout);
        using var poll = new PeriodicTimer(TimeSpan.FromMilliseconds(100));
        var admin = Connection("postgres", _superuserPassword, "postgres");
        while (true)
        {
            if (_server.HasExited)
            {
                throw new InvalidOperationException($"PostgreSQL exited with {_server.ExitCode}: {string.Join('\n', log)}");
            }

            try
            {
                await using var connection = new NpgsqlConnection(admin);
                await connection.OpenAsync(deadline.Token);
                return;
            }
            catch (NpgsqlException) when (!deadline.IsCancellationRequested)
            {
                // Not listening yet, or still starting up ("the database system is starting up").
            }

            try
            {
                await poll.WaitForNextTickAsync(deadline.Token);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                throw new TimeoutException($"PostgreSQL did not accept connections within {StartTimeout.TotalSeconds:0} s: {string.Join('\n', log)}");
            }
        }
    }

    /// <summary>The database, then service-roles.sql with this run's passwords, as the AppHost runs it.</summary>
    private async Task ProvisionAsync(CancellationToken ct)
    {
        await using (var admin = new NpgsqlConnection(Connection("postgres", _superuserPassword, "postgres")))
        {
            await admin.OpenAsync(ct);
            await using var create = new NpgsqlCommand($"create database {DatabaseName}", admin);
            await create.ExecuteNonQueryAsync(ct);
        }

        await ServiceRoleProvisioning.RunAsync(SuperuserConnectionString, _passwords, ct);
    }

    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        if (!_server.HasExited)
        {
            // SIGINT is PostgreSQL's fast shutdown: it ends the sessions and stops cleanly, in well under a second here.
            ProcessRunner.Run("kill", ["-INT", _server.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)], TimeSpan.FromSeconds(5));
            using var stopped = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            try
            {
                await _server.WaitForExitAsync(stopped.Token);
            }
            catch (OperationCanceledException)
            {
                _server.Kill(entireProcessTree: true);
            }
        }

        _server.Dispose();
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
        }
    }

    private string Connection(string user, string password, string database) => new NpgsqlConnectionStringBuilder
    {
        Host = "127.0.0.1",
        Port = _port,
        Username = user,
        Password = password,
        Database = database,
    }.ConnectionString;

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
