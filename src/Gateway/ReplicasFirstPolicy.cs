using Yarp.ReverseProxy.LoadBalancing;
using Yarp.ReverseProxy.Model;

namespace Gateway;

/// <summary>
/// The Sync cluster's load balancing: the replicas' own addresses (SyncReplicaDestinations.cs) by power of two choices,
/// as YARP's default does, and the destinations marked <see cref="ConnectFailover.FallbackKey"/> (what the service's name
/// resolves to: Aspire's proxy in development, one or more addresses in a deployment) only while no replica is listed.
/// </summary>
public sealed class ReplicasFirstPolicy : ILoadBalancingPolicy
{
    public const string PolicyName = "ReplicasFirst";

    public string Name => PolicyName;

    public DestinationState? PickDestination(HttpContext context, ClusterState cluster, IReadOnlyList<DestinationState> availableDestinations)
    {
        var replicas = 0;
        foreach (var destination in availableDestinations)
        {
            replicas += ConnectFailover.IsFallback(destination) ? 0 : 1;
        }

        // The replicas when any is listed; otherwise every destination the service name resolved to (a deployment can
        // list several: services__sync__http__0..2).
        var onlyReplicas = replicas > 0;
        var count = onlyReplicas ? replicas : availableDestinations.Count;
        if (count == 0)
        {
            return null;
        }

        // Two different ones at random; the less busy one takes the request.
        var a = Random.Shared.Next(count);
        var b = count == 1 ? a : (a + 1 + Random.Shared.Next(count - 1)) % count;
        DestinationState? first = null, second = null;
        var index = 0;
        foreach (var destination in availableDestinations)
        {
            if (onlyReplicas && ConnectFailover.IsFallback(destination))
            {
                continue;
            }

            first = index == a ? destination : first;
            second = index == b ? destination : second;
            index++;
        }

        return first!.ConcurrentRequestCount <= second!.ConcurrentRequestCount ? first : second;
    }
}
