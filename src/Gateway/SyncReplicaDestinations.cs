using System.Net.Http.Json;
using Yarp.ReverseProxy.Configuration;

namespace Gateway;

/// <summary>
/// Sync's destinations: each replica's own address, as the replicas advertise them (Sync's Replicas/ReplicaRegistry.cs,
/// <c>GET /internal/replicas</c>), so a push, pull or socket crosses one hop from here to the replica instead of two.
/// Under the development AppHost the second hop is Aspire's proxy, which a replicated resource cannot do without; it
/// cost about 0.2 CPU-ms per push (docs/benchmarks.md). The service's name stays in the cluster as the fallback
/// (ReplicasFirstPolicy.cs, ConnectFailover.cs): used alone when no replica advertises (a deployment whose platform
/// balances the replicas itself), and last when every listed replica refuses. The list is asked for every
/// <c>Gateway:SyncReplicasRefreshEvery</c> (2 s); while Sync cannot be reached the last list stays in force.
/// </summary>
public static class SyncReplicaDestinations
{
    public const string Client = "sync-replicas";

    /// <summary>The Sync cluster with <paramref name="replicas"/> as its destinations beside the fallback.</summary>
    public static ClusterConfig WithReplicas(ClusterConfig sync, IReadOnlyList<string> replicas)
    {
        var fallback = sync.Destinations!.Single(d => d.Value.Metadata?.ContainsKey(ConnectFailover.FallbackKey) == true);
        var destinations = new Dictionary<string, DestinationConfig>(StringComparer.OrdinalIgnoreCase) { [fallback.Key] = fallback.Value };
        foreach (var replica in replicas)
        {
            destinations[$"replica {replica}"] = new DestinationConfig { Address = replica };
        }

        return sync with { Destinations = destinations };
    }

    /// <summary>Only absolute http(s) addresses without a path count; anything else in the answer is ignored.</summary>
    public static IReadOnlyList<string> Valid(IEnumerable<string?> listed) =>
        [.. listed
            .Select(address => Uri.TryCreate(address, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https" && uri.AbsolutePath == "/"
                ? uri.GetLeftPart(UriPartial.Authority)
                : null)
            .OfType<string>()
            .Distinct(StringComparer.OrdinalIgnoreCase)
            .Order(StringComparer.Ordinal)];

    public static IServiceCollection AddSyncReplicaDestinations(this IServiceCollection services, IConfiguration configuration)
    {
        var every = configuration.GetValue("Gateway:SyncReplicasRefreshEvery", TimeSpan.FromSeconds(2));
        services.AddSingleton<Yarp.ReverseProxy.LoadBalancing.ILoadBalancingPolicy, ReplicasFirstPolicy>();
        services.AddHttpClient(Client);
        services.AddHostedService(provider => new Refresh(
            provider.GetRequiredService<InMemoryConfigProvider>(), provider.GetRequiredService<IHttpClientFactory>(), every,
            provider.GetRequiredService<ILogger<Refresh>>()));
        return services;
    }

    /// <summary>Asks Sync for its replicas every <paramref name="every"/> and puts a changed list in force.</summary>
    public sealed class Refresh(InMemoryConfigProvider proxy, IHttpClientFactory http, TimeSpan every, ILogger<Refresh> logger) : BackgroundService
    {
        protected override async Task ExecuteAsync(CancellationToken stoppingToken)
        {
            using var client = http.CreateClient(Client);
            IReadOnlyList<string> inForce = [];
            using var timer = new PeriodicTimer(every);
            do
            {
                try
                {
                    using var patience = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
                    patience.CancelAfter(every * 2);
                    var listed = Valid(await client.GetFromJsonAsync<List<string?>>($"http://{GatewayRoutes.Sync}/internal/replicas", patience.Token) ?? []);
                    if (!listed.SequenceEqual(inForce))
                    {
                        var config = proxy.GetConfig();
                        proxy.Update(config.Routes,
                            [.. config.Clusters.Select(c => c.ClusterId == GatewayRoutes.Sync ? WithReplicas(c, listed) : c)]);
                        logger.LogInformation("Sync replicas reached directly: {Replicas}", listed.Count > 0 ? string.Join(", ", listed) : "none, through the service name");
                        inForce = listed;
                    }
                }
                // Any exception, not only an outage's: one escaping this loop would stop the gateway (AppOrigins.cs).
                catch (Exception e) when (!stoppingToken.IsCancellationRequested)
                {
                    // Sync restarting or out of reach: the list in force stays; ConnectFailover moves past a replica that is gone.
                    logger.Log(e is HttpRequestException or OperationCanceledException ? LogLevel.Debug : LogLevel.Warning, e,
                        "Could not read Sync's replicas");
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
    }
}
