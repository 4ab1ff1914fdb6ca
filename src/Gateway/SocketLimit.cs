using System.Threading.RateLimiting;
using Yarp.ReverseProxy.Model;

namespace Gateway;

/// <summary>
/// Realtime sockets (<c>GET /api/sync</c>) open at once per remote address, <c>Gateway:SocketsPerAddress</c> (128). The
/// upgrade carries no token (each <c>subscribe</c> does), so without this bound one address could hold any number of
/// sockets, each a proxied connection here and a session with its send queue at Sync; the rates bound only how fast
/// they open. A link in the gateway's chain of limiters (<see cref="ClientRateLimiting"/>): a concurrency lease, which
/// the rate limiting middleware holds until the request ends, and a proxied socket's request lasts as long as the
/// socket. One more is 429 <c>rate-limited</c> before the upgrade reaches Sync; closing a socket makes room.
/// </summary>
public static class SocketLimit
{
    public const int DefaultPerAddress = 128;
    public const string Setting = "Gateway:SocketsPerAddress";

    public static PartitionedRateLimiter<HttpContext> Create(int perAddress) =>
        PartitionedRateLimiter.Create<HttpContext, string>(context => IsSocketRoute(context)
            ? RateLimitPartition.GetConcurrencyLimiter("socket:" + ClientRateLimiting.AddressKey(context), _ => new ConcurrencyLimiterOptions
            {
                PermitLimit = perAddress,
                QueueLimit = 0,
            })
            : RateLimitPartition.GetNoLimiter(""));

    private static bool IsSocketRoute(HttpContext context) =>
        context.GetEndpoint()?.Metadata.GetMetadata<RouteModel>()?.Config.RouteId == GatewayRoutes.SocketRoute;
}
