using Yarp.ReverseProxy.LoadBalancing;
using Yarp.ReverseProxy.Model;

namespace Gateway;

/// <summary>
/// The Sync cluster's load balancing: the replicas' own addresses (SyncReplicaDestinations.cs) by power of two choices,
/// as YARP's default does, and the destination marked <see cref="ConnectFailover.FallbackKey"/> (the service's name,
/// behind whatever balancer the platform puts there: Aspire's proxy in development) only while no replica is listed.
/// </summary>
public sealed class ReplicasFirstPolicy : ILoadBalancingPolicy
{
    public const string PolicyName = "ReplicasFirst";

    public string Name => PolicyName;

    public DestinationState? PickDestination(HttpContext context, ClusterState cluster, IReadOnlyList<DestinationState> availableDestinations)
    {
        DestinationState? fallback = null;
        var replicas = 0;
        foreach (var destination in availableDestinations)
        {
            if (ConnectFailover.IsFallback(destination))
            {
                fallback = destination;
            }
            else
            {
                replicas++;
            }
        }

        if (replicas == 0)
        {
            return fallback;
        }

        // Two different replicas at random; the less busy one takes the request.
        var a = Random.Shared.Next(replicas);
        var b = replicas == 1 ? a : (a + 1 + Random.Shared.Next(replicas - 1)) % replicas;
        DestinationState? first = null, second = null;
        var index = 0;
        foreach (var destination in availableDestinations)
        {
            if (ConnectFailover.IsFallback(destination))
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
