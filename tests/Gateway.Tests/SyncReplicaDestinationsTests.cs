using System.Net;
using Gateway;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SyncEngine.Testing;
using Xunit;
using Yarp.ReverseProxy;
using Yarp.ReverseProxy.Configuration;

namespace Gateway.Tests;

/// <summary>
/// The gateway reaches Sync's replicas at the addresses they advertise, not through the service name (behind which
/// Aspire puts a proxy), and moves past a listed replica that refuses the connection. The gateway's own Program in
/// process; Sync's name and one replica are small servers on loopback that say who answered; a second listed replica
/// is a port where nothing listens.
/// </summary>
public sealed class SyncReplicaDestinationsTests : IAsyncLifetime
{
    // Port 9 (discard) on loopback: nothing listens there, so a connection is refused at once.
    private const string Refusing = "http://127.0.0.1:9";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private string[] _listed = [];
    private WebApplication _byName = null!;
    private WebApplication _replica = null!;
    private string _replicaAddress = null!;

    public async ValueTask InitializeAsync()
    {
        // The service name: answers the replica list and, if a request ever reaches it, says so.
        _byName = await StartAsync(app =>
        {
            app.MapGet("/internal/replicas", () => Results.Ok(_listed));
            app.MapPost("/api/workspaces/{id}/changes", () => "by name");
        });
        _replica = await StartAsync(app => app.MapPost("/api/workspaces/{id}/changes", async (HttpRequest request) =>
        {
            using var body = new MemoryStream();
            await request.Body.CopyToAsync(body);
            return $"replica got {body.Length} bytes";
        }));
        _replicaAddress = AddressOf(_replica);
    }

    public async ValueTask DisposeAsync()
    {
        await _byName.DisposeAsync();
        await _replica.DisposeAsync();
    }

    [Fact]
    public async Task pushes_go_to_the_listed_replicas_and_one_that_refuses_is_passed_over_with_the_body_intact()
    {
        _listed = [_replicaAddress, Refusing, "not an address", "http://127.0.0.1:7/with/a/path"];
        await using var gateway = new GatewayFactory(AddressOf(_byName));
        using var client = gateway.CreateClient();
        await DestinationsAsync(gateway, [_replicaAddress, Refusing]);

        // Half of them, about, are sent to the refusing replica first: each must still reach the live one, body and all.
        for (var i = 0; i < 20; i++)
        {
            Assert.Equal((HttpStatusCode.OK, $"replica got {1000 + i} bytes"), await PushAsync(client, 1000 + i));
        }
    }

    [Fact]
    public async Task when_every_listed_replica_refuses_the_service_name_answers()
    {
        _listed = [Refusing];
        await using var gateway = new GatewayFactory(AddressOf(_byName));
        using var client = gateway.CreateClient();
        await DestinationsAsync(gateway, [Refusing]);

        Assert.Equal((HttpStatusCode.OK, "by name"), await PushAsync(client, 3));
    }

    [Fact]
    public async Task while_no_replica_is_listed_the_service_name_answers_and_a_list_that_empties_again_goes_back_to_it()
    {
        _listed = [_replicaAddress];
        await using var gateway = new GatewayFactory(AddressOf(_byName));
        using var client = gateway.CreateClient();
        await DestinationsAsync(gateway, [_replicaAddress]);
        Assert.Equal((HttpStatusCode.OK, "replica got 1 bytes"), await PushAsync(client, 1));

        _listed = [];
        await DestinationsAsync(gateway, []);
        Assert.Equal((HttpStatusCode.OK, "by name"), await PushAsync(client, 1));
    }

    [Fact]
    public void the_cluster_keeps_its_fallback_beside_the_replicas_and_only_plain_addresses_are_taken()
    {
        var sync = GatewayRoutes.Clusters.Single(c => c.ClusterId == GatewayRoutes.Sync);

        var replicas = SyncReplicaDestinations.Valid(["http://127.0.0.1:5001/", "http://127.0.0.1:5000", "http://127.0.0.1:5000", null, "", "tcp://x:1", "http://h:1/p", "/relative"]);
        var cluster = SyncReplicaDestinations.WithReplicas(sync, replicas);

        Assert.Equal(["http://127.0.0.1:5000", "http://127.0.0.1:5001"], replicas);
        Assert.Equal(["http://127.0.0.1:5000", "http://127.0.0.1:5001", "http://sync"], cluster.Destinations!.Values.Select(d => d.Address).Order(StringComparer.Ordinal));
        Assert.Equal("http://sync", cluster.Destinations.Values.Single(d => d.Metadata?.ContainsKey(ConnectFailover.FallbackKey) == true).Address);
        Assert.Equal(sync.HttpRequest, cluster.HttpRequest);
    }

    /// <summary>Waits until the gateway's Sync cluster holds exactly the service name and <paramref name="replicas"/>.</summary>
    private static async Task DestinationsAsync(GatewayFactory gateway, string[] replicas)
    {
        var state = gateway.Services.GetRequiredService<IProxyStateLookup>();
        var expected = replicas.Append("by name").Order(StringComparer.Ordinal).ToArray();
        var current = await Eventually.Until(_ => Task.FromResult<string[]>(state.TryGetCluster(GatewayRoutes.Sync, out var cluster)
                ? [.. cluster.Destinations.Values.Select(d => ConnectFailover.IsFallback(d) ? "by name" : d.Model.Config.Address.TrimEnd('/')).Order(StringComparer.Ordinal)]
                : []),
            c => c.SequenceEqual(expected), TimeSpan.FromSeconds(10), Ct);
        Assert.True(current.SequenceEqual(expected), $"the gateway's Sync destinations are [{string.Join(", ", current)}], not [{string.Join(", ", expected)}]");
    }

    /// <summary>A push through the gateway: its status and who answered.</summary>
    private static async Task<(HttpStatusCode Status, string Body)> PushAsync(HttpClient client, int bytes)
    {
        using var response = await client.PostAsync($"/api/workspaces/{Guid.NewGuid()}/changes", new ByteArrayContent(new byte[bytes]), Ct);
        return (response.StatusCode, await response.Content.ReadAsStringAsync(Ct));
    }

    private static async Task<WebApplication> StartAsync(Action<WebApplication> map)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        map(app);
        await app.StartAsync(Ct);
        return app;
    }

    private static string AddressOf(WebApplication app) =>
        app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();

    private sealed class GatewayFactory(string syncByName) : WebApplicationFactory<Program>
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            builder.UseEnvironment("Production");
            builder.UseSetting("Gateway:SyncReplicasRefreshEvery", "00:00:00.100");
            builder.UseSetting("services:sync:http:0", syncByName);
            foreach (var service in new[] { "auth", "workspace", "web" })
            {
                builder.UseSetting($"services:{service}:http:0", Refusing);
            }
        }
    }
}
