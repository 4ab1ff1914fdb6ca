using System.Net.Http;
using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.Model;

namespace Gateway;

/// <summary>
/// Two steps of the proxy pipeline for clusters with several destinations (Sync's replicas, SyncReplicaDestinations.cs).
/// Before load balancing, a destination marked <see cref="FallbackKey"/> (the service's name, reached through whatever
/// balancer the platform puts in front of it: Aspire's proxy in development) is left out while any other is listed, so
/// requests go straight to a replica. After forwarding, a request whose destination refused the connection is sent to
/// the next destination, the fallback last: nothing of it reached the refused one (the connection never opened, the
/// body is unread), so sending it again cannot apply it twice. That covers a replica that was killed and has not aged
/// out of the list yet, or one that restarted on another port.
/// </summary>
public static class ConnectFailover
{
    /// <summary>Destination metadata naming the destination used only when every other fails or none is listed.</summary>
    public const string FallbackKey = "Fallback";

    public static bool IsFallback(DestinationState destination) =>
        destination.Model.Config.Metadata?.ContainsKey(FallbackKey) == true;

    /// <summary>Before load balancing: the listed destinations, without the fallback while there are others.</summary>
    public static IReverseProxyApplicationBuilder UseReplicasBeforeFallback(this IReverseProxyApplicationBuilder proxy)
    {
        proxy.Use((context, next) =>
        {
            var feature = context.GetReverseProxyFeature();
            var available = feature.AvailableDestinations;
            if (available.Count > 1 && available.Any(IsFallback) && !available.All(IsFallback))
            {
                feature.AvailableDestinations = available.Where(d => !IsFallback(d)).ToList();
            }

            return next();
        });
        return proxy;
    }

    /// <summary>After load balancing: a refused connection goes on to the next destination.</summary>
    public static IReverseProxyApplicationBuilder UseConnectFailover(this IReverseProxyApplicationBuilder proxy)
    {
        proxy.Use(async (context, next) =>
        {
            await next();
            var feature = context.GetReverseProxyFeature();
            List<DestinationState>? tried = null;
            while (Refused(context) && feature.ProxiedDestination is { } refused && !context.Response.HasStarted)
            {
                (tried ??= []).Add(refused);
                var untried = feature.AllDestinations.Where(d => !tried.Contains(d)).ToList();
                if (untried.Count == 0)
                {
                    return;
                }

                // Another replica first, chosen at random so the refused one's load spreads; the fallback last.
                var replicas = untried.Where(d => !IsFallback(d)).ToList();
                var nextDestination = replicas.Count > 0 ? replicas[Random.Shared.Next(replicas.Count)] : untried[0];
                context.Features.Set<IForwarderErrorFeature>(null);
                context.Response.Clear();
                feature.AvailableDestinations = [nextDestination];
                await next();
            }
        });
        return proxy;
    }

    private static bool Refused(HttpContext context) =>
        context.Features.Get<IForwarderErrorFeature>() is { Error: ForwarderError.Request, Exception: HttpRequestException { HttpRequestError: HttpRequestError.ConnectionError } };
}
