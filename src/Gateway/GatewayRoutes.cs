using Yarp.ReverseProxy.Configuration;

namespace Gateway;

/// <summary>
/// The public surface of DESIGN.md, route by route. Destinations are service-discovery names that Aspire resolves;
/// more specific routes get a lower <c>Order</c> so they win over the workspace catch-all.
/// </summary>
public static class GatewayRoutes
{
    public const string Workspace = "workspace";
    public const string Auth = "auth";
    public const string Sync = "sync";
    public const string Web = "web";

    public static IReadOnlyList<RouteConfig> Routes { get; } =
    [
        Route("claim", Workspace, "/api/workspaces", order: 0, methods: ["POST"]),
        Route("tokens", Auth, "/api/workspaces/{workspaceId}/tokens/{**rest}", order: 0),
        Route("join", Auth, "/api/workspaces/{workspaceId}/join", order: 0),
        Route("changes", Sync, "/api/workspaces/{workspaceId}/changes", order: 0),
        Route("snapshots", Sync, "/api/workspaces/{workspaceId}/snapshots", order: 0),
        Route("events", Sync, "/api/workspaces/{workspaceId}/events", order: 0),
        Route("workspace", Workspace, "/api/workspaces/{workspaceId}/{**rest}", order: 10),
        Route("well-known", Auth, "/.well-known/{**rest}", order: 0),
        // Everything that is not the API is the web client.
        Route("web", Web, "/{**rest}", order: 100),
    ];

    public static IReadOnlyList<ClusterConfig> Clusters { get; } =
        [Cluster(Workspace), Cluster(Auth), Cluster(Sync), Cluster(Web)];

    private static RouteConfig Route(
        string id, string cluster, string path, int order, string[]? methods = null) => new()
    {
        RouteId = id,
        ClusterId = cluster,
        Order = order,
        Match = new RouteMatch { Path = path, Methods = methods },
    };

    private static ClusterConfig Cluster(string name) => new()
    {
        ClusterId = name,
        Destinations = new Dictionary<string, DestinationConfig>
        {
            [name] = new() { Address = $"http://{name}" },
        },
        HttpRequest = name == Sync
            // Server-Sent Events stay open for as long as the subscriber listens; heartbeats keep them active.
            ? new Yarp.ReverseProxy.Forwarder.ForwarderRequestConfig { ActivityTimeout = TimeSpan.FromMinutes(10) }
            : null,
    };
}
