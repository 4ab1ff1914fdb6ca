using Yarp.ReverseProxy.Configuration;

namespace Gateway;

/// <summary>
/// The public surface of docs/design.md, route by route. Destinations are service-discovery names that Aspire resolves;
/// more specific routes get a lower <c>Order</c> so they win over the workspace catch-all.
/// </summary>
public static class GatewayRoutes
{
    public const string Workspace = "workspace";
    public const string Auth = "auth";
    public const string Sync = "sync";
    public const string Web = "web";

    /// <summary>The claim route's id: claims have a rate of their own (<see cref="ClaimRateLimit"/>).</summary>
    public const string ClaimRoute = "claim";

    /// <summary>The realtime channel's route id: sockets per address are bounded (<see cref="SocketLimit"/>).</summary>
    public const string SocketRoute = "sync-socket";

    /// <summary>Grants and revokes at Auth; a revoke draws from the access-change bucket (<see cref="ClientRateLimiting"/>).</summary>
    public const string TokensRoute = "tokens";

    /// <summary>The workspace catch-all; its <c>DELETE</c> without a rest is an erasure, an access change too.</summary>
    public const string WorkspaceRoute = "workspace";

    /// <summary>The operator token route's id: limited per address like claims (anonymous, and it checks a secret).</summary>
    public const string TokenRoute = "connect-token";

    public static IReadOnlyList<RouteConfig> Routes { get; } =
    [
        Route(ClaimRoute, Workspace, "/api/workspaces", order: 0, methods: ["POST"]),
        Route(TokensRoute, Auth, "/api/workspaces/{workspaceId}/tokens/{**rest}", order: 0),
        Route("join", Auth, "/api/workspaces/{workspaceId}/join", order: 0),
        Route("changes", Sync, "/api/workspaces/{workspaceId}/changes", order: 0, body: DocumentBody),
        Route("snapshots", Sync, "/api/workspaces/{workspaceId}/snapshots", order: 0, body: DocumentBody),
        Route("events", Sync, "/api/workspaces/{workspaceId}/events", order: 0),
        // The realtime channel: YARP forwards the WebSocket upgrade and then the socket's bytes as they are.
        Route(SocketRoute, Sync, "/api/sync", order: 0, methods: ["GET"]),
        Route(WorkspaceRoute, Workspace, "/api/workspaces/{workspaceId}/{**rest}", order: 10),
        Route("well-known", Auth, "/.well-known/{**rest}", order: 0),
        // Operators: their tokens and the signing keys from Auth, the apps and workspaces at Workspace (docs/design.md, "Operators").
        Route(TokenRoute, Auth, "/connect/token", order: 0, methods: ["POST"]),
        Route("admin-apps", Workspace, "/admin/apps", order: 0),
        // Sync counts what an app stores and moves; before the app catch-all below.
        Route("admin-app-usage", Sync, "/admin/apps/{appId}/usage", order: -1),
        // Archives are Sync's: it streams a workspace out and restores one in (bodies as large as a workspace).
        Route("admin-app-archives", Sync, "/admin/apps/{appId}/archives", order: -1, methods: ["POST"], body: ArchiveBody),
        Route("admin-workspace-archive", Sync, "/admin/workspaces/{workspaceId}/archive", order: -1, methods: ["GET"]),
        // Auth revokes a lost device's tokens in every workspace of an app.
        Route("admin-app-clients", Auth, "/admin/apps/{appId}/clients/{**rest}", order: -1),
        Route("admin-app", Workspace, "/admin/apps/{**rest}", order: 0),
        Route("admin-keys", Auth, "/admin/keys/{**rest}", order: 0),
        Route("admin-workspaces", Workspace, "/admin/workspaces/{**rest}", order: 0),
        // Everything that is not the API is the web client.
        Route("web", Web, "/{**rest}", order: 100),
    ];

    public static IReadOnlyList<ClusterConfig> Clusters { get; } =
        [Cluster(Workspace), Cluster(Auth), Cluster(Sync), Cluster(Web)];

    /// <summary>Route metadata naming the routes whose bodies are documents (see <see cref="RequestBodyLimit"/>).</summary>
    public const string BodyKind = "Body";
    public const string DocumentBody = "document";

    /// <summary>A workspace archive being restored: as large as the workspace (<c>Gateway:MaxArchiveBytes</c>).</summary>
    public const string ArchiveBody = "archive";

    private static RouteConfig Route(
        string id, string cluster, string path, int order, string[]? methods = null, string? body = null) => new()
    {
        RouteId = id,
        ClusterId = cluster,
        Order = order,
        Match = new RouteMatch { Path = path, Methods = methods },
        Metadata = body is null ? null : new Dictionary<string, string> { [BodyKind] = body },
    };

    private static ClusterConfig Cluster(string name) => new()
    {
        ClusterId = name,
        Destinations = new Dictionary<string, DestinationConfig>
        {
            // Resolved by service discovery. For Sync it is the fallback: the replicas' own addresses join it as they
            // advertise them (SyncReplicaDestinations.cs).
            [name] = new()
            {
                Address = $"http://{name}",
                Metadata = name == Sync ? new Dictionary<string, string> { [ConnectFailover.FallbackKey] = "true" } : null,
            },
        },
        LoadBalancingPolicy = name == Sync ? ReplicasFirstPolicy.PolicyName : null,
        HttpRequest = name == Sync
            // Server-Sent Events and sockets stay open for as long as the device listens; heartbeats keep them active.
            ? new Yarp.ReverseProxy.Forwarder.ForwarderRequestConfig { ActivityTimeout = TimeSpan.FromMinutes(10) }
            : null,
    };
}
