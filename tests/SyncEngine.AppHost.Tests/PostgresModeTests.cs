using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using SyncEngine.AppHost.Postgres;
using Xunit;

namespace SyncEngine.AppHost.Tests;

/// <summary>
/// Which PostgreSQL each <c>Postgres:Mode</c> chooses, and that every way of failing stops at once with a message
/// naming what to install: the app model is built, nothing is started (system mode does run initdb, for real).
/// </summary>
public sealed class PostgresModeTests : IDisposable
{
    private const string SomeServer = "Host=db.invalid;Username=app;Password=secret;Database=syncengine";
    private readonly string _dataDirectory = Path.Combine(Path.GetTempPath(), $"syncengine-apphost-tests-{Guid.NewGuid():N}");

    [Fact]
    public async Task a_configured_connection_string_makes_auto_use_that_server()
    {
        var database = AddDatabase("--Postgres:Mode=auto", $"--ConnectionStrings:syncengine={SomeServer}");

        Assert.IsAssignableFrom<ParameterResource>(database);
        Assert.Equal(PostgresSetup.ConnectionName, database.Name);
        Assert.Equal(SomeServer, await ConnectionStringOf(database));
    }

    [Fact]
    public async Task external_mode_uses_the_configured_server()
    {
        var database = AddDatabase("--Postgres:Mode=external", $"--ConnectionStrings:syncengine={SomeServer}");

        Assert.IsAssignableFrom<ParameterResource>(database);
        Assert.Equal(SomeServer, await ConnectionStringOf(database));
    }

    [Fact]
    public void system_mode_runs_the_system_binaries_as_an_executable_resource()
    {
        var database = AddDatabase("--Postgres:Mode=system");

        var server = Assert.IsType<PostgresProcessResource>(database);
        Assert.IsAssignableFrom<ExecutableResource>(server);
        Assert.True(File.Exists(Path.Combine(_dataDirectory, "postgres", "data", "PG_VERSION")), "initdb created no cluster");
        // Services reach the server on its own port: every query through Aspire's proxy cost a hop and CPU (docs/benchmarks.md).
        Assert.False(server.Annotations.OfType<EndpointAnnotation>().Single().IsProxied);
    }

    [Fact]
    public void a_forced_mode_other_than_external_ignores_a_configured_connection_string()
    {
        Assert.IsType<PostgresProcessResource>(AddDatabase("--Postgres:Mode=system", $"--ConnectionStrings:syncengine={SomeServer}"));
    }

    [Fact]
    public void an_unknown_mode_is_refused_naming_the_modes()
    {
        var refused = Refused("--Postgres:Mode=cloud");

        Assert.Contains("'cloud'", refused.Message, StringComparison.Ordinal);
        Assert.Contains("auto, external, container, system, npm", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void external_mode_without_a_connection_string_is_refused_saying_what_to_set()
    {
        var refused = Refused("--Postgres:Mode=external");

        Assert.Contains("ConnectionStrings:syncengine is not set", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void container_mode_without_a_runtime_that_answers_is_refused_at_once()
    {
        var refused = Refused("--Postgres:Mode=container", "--ASPIRE_CONTAINER_RUNTIME=no-such-container-runtime");

        Assert.Contains("no container runtime answers", refused.Message, StringComparison.Ordinal);
        Assert.Contains("Start Docker", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void system_mode_without_binaries_is_refused_naming_the_package()
    {
        var refused = Refused("--Postgres:Mode=system", "--Postgres:BinDirectory=/nonexistent/postgresql/bin");

        Assert.Contains("apt-get install postgresql", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void an_npm_registry_that_never_answers_fails_within_seconds_naming_what_to_install()
    {
        // A registry that accepts connections and never replies: the worst case, where npm alone would wait minutes.
        using var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        var held = new System.Collections.Concurrent.ConcurrentBag<Socket>();
        using var stop = new CancellationTokenSource();
        var accepting = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                held.Add(await silent.AcceptSocketAsync(stop.Token));
            }
        }, stop.Token);
        var registry = $"http://127.0.0.1:{((IPEndPoint)silent.LocalEndpoint).Port}/";

        var clock = Stopwatch.StartNew();
        var refused = Refused("--Postgres:Mode=npm", $"--Postgres:NpmRegistry={registry}");
        clock.Stop();
        var reached = !held.IsEmpty;
        stop.Cancel();
        foreach (var socket in held)
        {
            socket.Dispose();
        }

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"took {clock.Elapsed.TotalSeconds:0} s");
        Assert.Contains("npm registry did not provide", refused.Message, StringComparison.Ordinal);
        Assert.Contains("apt-get install postgresql", refused.Message, StringComparison.Ordinal);
        Assert.True(reached, "npm never reached the silent registry, so the test proved nothing");
        Assert.False(accepting.IsFaulted && accepting.Exception?.InnerException is not OperationCanceledException);
    }

    public void Dispose()
    {
        if (Directory.Exists(_dataDirectory))
        {
            Directory.Delete(_dataDirectory, recursive: true);
        }
    }

    private IResource AddDatabase(params string[] args)
    {
        var builder = DistributedApplication.CreateBuilder(new DistributedApplicationOptions
        {
            Args = [.. args, $"--Postgres:DataDirectory={_dataDirectory}"],
            DisableDashboard = true,
            AssemblyName = typeof(PostgresSetup).Assembly.GetName().Name,
        });
        return builder.AddSyncEngineDatabase().Resource;
    }

    private static async Task<string?> ConnectionStringOf(IResource database) =>
        await ((IResourceWithConnectionString)database).GetConnectionStringAsync(TestContext.Current.CancellationToken);

    private PrerequisiteMissingException Refused(params string[] args) =>
        Assert.Throws<PrerequisiteMissingException>(() => AddDatabase(args));
}
