using Npgsql;

namespace Services.Sync.Replicas;

/// <summary>
/// <c>GET /internal/replicas</c>: the addresses the running replicas advertise (<see cref="ReplicaRegistry"/>), a JSON
/// list of strings, empty when none advertises. On the service's own port, never routed by the gateway, like
/// <c>/internal/apps</c>: the gateway asks it every few seconds for the Sync cluster's destinations.
/// </summary>
public static class ListReplicasEndpoint
{
    public const string Path = "/internal/replicas";

    public static void MapListReplicas(this IEndpointRouteBuilder app) =>
        app.MapGet(Path, async (NpgsqlDataSource db, CancellationToken ct) => Results.Ok(await ReplicaRegistry.ListAsync(db, ct)))
            .ExcludeFromDescription();
}
