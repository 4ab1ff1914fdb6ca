using System.Net.Http;
using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.Model;

namespace Gateway;

/// <summary>
/// A step of the proxy pipeline for clusters with several destinations (Sync's replicas, SyncReplicaDestinations.cs,
/// chosen by <see cref="ReplicasFirstPolicy"/>): after forwarding, a request whose destination refused the connection
/// is sent to the next destination, the one marked <see cref="FallbackKey"/> (the service's name) last. Nothing of it
/// reached the refused one (the connection never opened, the body is unread), so sending it again cannot apply it
/// twice. That covers a replica that was killed and has not aged out of the list yet, or one that restarted on another
/// port.
/// </summary>
public static class ConnectFailover
{
    /// <summary>Destination metadata naming the destination used only when every other fails or none is listed.</summary>
    public const string FallbackKey = "Fallback";

    public static bool IsFallback(DestinationState destination) =>
        destination.Model.Config.Metadata?.ContainsKey(FallbackKey) == true;

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
