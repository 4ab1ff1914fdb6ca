using System.Reflection;
using SyncEngine.Client;
using Xunit;

[assembly: AssemblyFixture(typeof(SyncEngine.Topology.Tests.ProductionTopologyFixture))]

namespace SyncEngine.Topology.Tests;

/// <summary>
/// One production topology for the assembly (ProductionTopology: the published programs with deploy/compose's
/// environment, three Sync replicas, a throwaway PostgreSQL), with the queues in a real RabbitMQ node the fixture runs
/// (TestRabbitMq; the PostgreSQL transport is the end-to-end tests' default), published into this project's output
/// folder. The programs are published from the build this project was built with (Debug under <c>dotnet test</c>, Release
/// under <c>dotnet test -c Release</c>), not compiled a second time: a publish's layout of the code the rest of the run
/// proved, where a Release compilation of the four programs cost about as much CPU as the module's tests
/// (docs/benchmarks.md, "The test suite's time"). deploy/run-local.sh and the images are Release. The services run with
/// ShortRunRuntime's settings besides Compose's environment.
/// </summary>
public sealed class ProductionTopologyFixture : IAsyncLifetime
{
    private ProductionTopology? _topology;
    private TestRabbitMq? _broker;

    public ProductionTopology Topology => _topology ?? throw new InvalidOperationException("Not started.");
    public TestRabbitMq Broker => _broker ?? throw new InvalidOperationException("Not started.");
    public HttpClient Gateway { get; private set; } = null!;
    public SyncEngineClient Api { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        var published = Path.Combine(AppContext.BaseDirectory, "published");
        var configuration = typeof(ProductionTopologyFixture).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration
            ?? throw new InvalidOperationException("The test assembly does not say which configuration built it.");
        await ProductionTopology.PublishBuiltAsync(published, configuration, Console.Out, TestContext.Current.CancellationToken);
        _broker = await TestRabbitMq.StartAsync(Console.Out, TestContext.Current.CancellationToken);
        _topology = await ProductionTopology.StartAsync(
            published, new TopologyOptions("rabbitmq", _broker.ConnectionString, Runtime: SyncEngine.Testing.ShortRunRuntime.Environment), Console.Out,
            TestContext.Current.CancellationToken);
        Gateway = new HttpClient { BaseAddress = _topology.Gateway };
        Api = new SyncEngineClient(Gateway);
    }

    public async ValueTask DisposeAsync()
    {
        Gateway?.Dispose();
        if (_topology is not null)
        {
            await _topology.DisposeAsync();
        }

        if (_broker is not null)
        {
            await _broker.DisposeAsync();
        }
    }

    public async Task<(Guid WorkspaceId, Guid Owner, string Master)> NewWorkspaceAsync(CancellationToken ct)
    {
        var (workspaceId, owner) = (Guid.NewGuid(), Guid.NewGuid());
        return (workspaceId, owner, (await Api.ClaimAsync(workspaceId, owner, Guid.NewGuid().ToString(), ct)).Token);
    }

    public async Task<(Guid Client, string Token)> NewMemberAsync(Guid workspaceId, string master, CancellationToken ct)
    {
        var client = Guid.NewGuid();
        var grant = await Api.GrantAsync(master, workspaceId, client, "read_write", ct: ct);
        return (client, (await Api.JoinAsync(workspaceId, client, grant.InviteCode, ct)).Token);
    }
}
