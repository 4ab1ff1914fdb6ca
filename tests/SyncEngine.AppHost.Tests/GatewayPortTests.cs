using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Xunit;

namespace SyncEngine.AppHost.Tests;

/// <summary>The gateway's public port, read from the app model the real AppHost builds (nothing is started).</summary>
public sealed class GatewayPortTests
{
    // An external server, so building the model neither runs initdb nor asks a container runtime.
    private const string External = "--ConnectionStrings:syncengine=Host=db.invalid;Username=app;Password=secret;Database=syncengine";

    [Fact]
    public async Task the_gateway_listens_on_8080_by_default()
    {
        Assert.Equal(8080, await GatewayPortAsync());
    }

    [Fact]
    public async Task the_gateway_port_follows_Gateway_Port()
    {
        Assert.Equal(9090, await GatewayPortAsync("--Gateway:Port=9090"));
    }

    [Fact]
    public async Task a_gateway_port_of_0_lets_aspire_pick_one()
    {
        Assert.Null(await GatewayPortAsync("--Gateway:Port=0"));
    }

    [Fact]
    public async Task the_gateway_listens_on_its_public_port_itself_with_no_proxy_in_front()
    {
        Assert.False((await GatewayEndpointAsync()).IsProxied);
    }

    private static async Task<int?> GatewayPortAsync(params string[] args) => (await GatewayEndpointAsync(args)).Port;

    private static async Task<EndpointAnnotation> GatewayEndpointAsync(params string[] args)
    {
        var ct = TestContext.Current.CancellationToken;
        // The builder's resources, not a built app's: disposing an app that was built and never started waited 30 s for
        // the orchestrator it never started (Aspire's DCP clean-up, seen in a dump), which was half this project's run.
        await using var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.SyncEngine_AppHost>(
            [.. args, External, "--Postgres:Mode=external"], ct);
        var gateway = builder.Resources.Single(r => r.Name == "gateway");
        return gateway.Annotations.OfType<EndpointAnnotation>().Single(e => e.Name == "http");
    }
}
