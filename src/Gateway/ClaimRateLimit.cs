using System.Threading.RateLimiting;
using Yarp.ReverseProxy.Model;

namespace Gateway;

/// <summary>
/// Claims per remote address per minute (<c>Gateway:ClaimsPerMinutePerAddress</c>): a claim is anonymous and mints a
/// workspace and a master token, so the per-client bucket (the address, for anyone without a token) would still allow
/// thousands a minute. A bucket of that many, refilled at that many a minute (so a burst, then one every 60/N
/// seconds). Every request to the claim route counts, valid or not; over the limit is the same 429
/// <c>rate-limited</c> with Retry-After as any other rate, before the request reaches Workspace, so nothing is stored.
/// A link in the gateway's chain of limiters (<see cref="ClientRateLimiting"/>) that lets every other route through.
/// Operator token requests (<c>/connect/token</c>) get a link of their own, built the same way
/// (<c>Gateway:TokenRequestsPerMinutePerAddress</c>): anonymous too, and each one checks a secret.
/// </summary>
public static class ClaimRateLimit
{
    public const int DefaultPerMinute = 30;

    public static PartitionedRateLimiter<HttpContext> Create(int perMinute, string routeId = GatewayRoutes.ClaimRoute) =>
        PartitionedRateLimiter.Create<HttpContext, string>(context => IsRoute(context, routeId)
            ? RateLimitPartition.GetTokenBucketLimiter($"{routeId}:" + ClientRateLimiting.AddressKey(context), _ => new TokenBucketRateLimiterOptions
            {
                TokenLimit = perMinute,
                TokensPerPeriod = perMinute,
                ReplenishmentPeriod = TimeSpan.FromMinutes(1),
                QueueLimit = 0,
                AutoReplenishment = true,
            })
            : RateLimitPartition.GetNoLimiter(""));

    private static bool IsRoute(HttpContext context, string routeId) =>
        context.GetEndpoint()?.Metadata.GetMetadata<RouteModel>()?.Config.RouteId == routeId;
}
