using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace SyncEngine.StorageTrial;

/// <summary>
/// A throwaway PostgreSQL cluster in a temp directory, on loopback TCP only, with the server's defaults (fsync on,
/// synchronous_commit on): durable commits are what is being measured. Stopped and deleted on dispose.
/// </summary>
public sealed class TrialCluster : IAsyncDisposable
{
    private readonly string _root;
    private readonly string _data;
    private readonly string _bin;
    private bool _started;

    private TrialCluster(string root, string bin)
    {
        _root = root;
        _data = Path.Combine(root, "data");
        _bin = bin;
    }

    public string ConnectionString { get; private set; } = "";

    public static async Task<TrialCluster> StartAsync(string bin, CancellationToken ct)
    {
        var cluster = new TrialCluster(Directory.CreateTempSubdirectory("syncengine-storage-trial-").FullName, bin);
        try
        {
            await cluster.InitAndStartAsync(ct);
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    private async Task InitAndStartAsync(CancellationToken ct)
    {
        // PostgreSQL refuses to run as root, so as root the cluster belongs to the postgres user.
        var asRoot = Environment.UserName == "root";
        if (asRoot)
        {
            await RunAsync("chown", ["postgres:postgres", _root], asPostgres: false, ct);
        }

        await RunAsync(Path.Combine(_bin, "initdb"),
            ["-D", _data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-locale"], asRoot, ct);

        var port = FreePort();
        var options = $"-c listen_addresses=127.0.0.1 -c unix_socket_directories= -c max_connections=200 -p {port}";
        await RunAsync(Path.Combine(_bin, "pg_ctl"),
            ["start", "-D", _data, "-w", "-t", "30", "-l", Path.Combine(_root, "postgres.log"), "-o", options], asRoot, ct);
        _started = true;
        ConnectionString = $"Host=127.0.0.1;Port={port};Username=postgres;Database=postgres;Maximum Pool Size=64";
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (_started)
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
                await RunAsync(Path.Combine(_bin, "pg_ctl"), ["stop", "-D", _data, "-m", "fast", "-w"],
                    Environment.UserName == "root", timeout.Token);
                _started = false;
            }
        }
        finally
        {
            Directory.Delete(_root, recursive: true);
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static async Task RunAsync(string file, string[] args, bool asPostgres, CancellationToken ct)
    {
        var start = new ProcessStartInfo
        {
            FileName = asPostgres ? "setpriv" : file,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = "/",
        };
        if (asPostgres)
        {
            foreach (var a in (string[])["--reuid=postgres", "--regid=postgres", "--clear-groups", "--", file])
            {
                start.ArgumentList.Add(a);
            }
        }

        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {file}.");
        var stdout = process.StandardOutput.ReadToEndAsync(ct);
        var stderr = process.StandardError.ReadToEndAsync(ct);
        await process.WaitForExitAsync(ct);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException(
                $"{Path.GetFileName(file)} exited with {process.ExitCode}:\n{await stdout}\n{await stderr}");
        }
    }
}
