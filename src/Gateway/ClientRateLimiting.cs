using System.Threading.RateLimiting;
using SyncEngine.ServiceDefaults.Problems;
using Yarp.ReverseProxy.Model;

namespace Gateway;

/// <summary>
/// Two token buckets in a chain: one per client (so one device cannot starve the others behind the same address) and
/// a wider one per remote address. A client is what the gateway could prove (<see cref="ValidatedClient"/>: a bearer
/// token that checks out names its workspace and client); anything else, an invented Authorization header included,
/// is its address, so minting headers buys no fresh burst. Rejections are 429 problem+json with code
/// <c>rate-limited</c> and a Retry-After.
/// A client's access changes (revoking tokens, deleting the workspace) draw from a smaller bucket of their own: they are
/// the owner's remedy when a token is stolen, and a thief flooding with that token must not be able to keep the
/// owner's revoke at 429 by spending the client's ordinary budget.
/// </summary>
public static class ClientRateLimiting
{
    public sealed class Options
    {
        public int PermitsPerSecondPerClient { get; set; } = 100;
        public int BurstPerClient { get; set; } = 200;
        public int PermitsPerSecondPerAddress { get; set; } = 2000;
        public int BurstPerAddress { get; set; } = 4000;
        public int AccessChangesPerSecondPerClient { get; set; } = 10;
        public int AccessChangeBurstPerClient { get; set; } = 20;
    }

    public static IServiceCollection AddClientRateLimiting(this IServiceCollection services, IConfiguration configuration)
    {
        var options = configuration.GetSection("Gateway:RateLimit").Get<Options>() ?? new Options();
        var claimsPerMinute = configuration.GetValue("Gateway:ClaimsPerMinutePerAddress", ClaimRateLimit.DefaultPerMinute);
        var tokenRequestsPerMinute = configuration.GetValue("Gateway:TokenRequestsPerMinutePerAddress", ClaimRateLimit.DefaultPerMinute);
        var socketsPerAddress = configuration.GetValue(SocketLimit.Setting, SocketLimit.DefaultPerAddress);
        services.AddRateLimiter(limiter =>
        {
            limiter.GlobalLimiter = PartitionedRateLimiter.CreateChained(
                PartitionedRateLimiter.Create<HttpContext, string>(context => IsAccessChange(context)
                    ? Bucket("access:" + ClientKey(context), options.AccessChangesPerSecondPerClient, options.AccessChangeBurstPerClient)
                    : Bucket(ClientKey(context), options.PermitsPerSecondPerClient, options.BurstPerClient)),
                PartitionedRateLimiter.Create<HttpContext, string>(context =>
                    Bucket(AddressKey(context), options.PermitsPerSecondPerAddress, options.BurstPerAddress)),
                ClaimRateLimit.Create(claimsPerMinute),
                ClaimRateLimit.Create(tokenRequestsPerMinute, GatewayRoutes.TokenRoute),
                SocketLimit.Create(socketsPerAddress));
            limiter.OnRejected = async (rejected, ct) =>
            {
                var response = rejected.HttpContext.Response;
                response.StatusCode = StatusCodes.Status429TooManyRequests;
                if (rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter))
                {
                    response.Headers.RetryAfter = ((int)Math.Ceiling(retryAfter.TotalSeconds)).ToString();
                }

                await Results.Problem(Problem.Create(
                        StatusCodes.Status429TooManyRequests, ProblemCodes.RateLimited, "Too many requests from this client; slow down and retry."))
                    .ExecuteAsync(rejected.HttpContext);
            };
        });
        return services;
    }

    private static RateLimitPartition<string> Bucket(string key, int perSecond, int burst) =>
        RateLimitPartition.GetTokenBucketLimiter(key, _ => new TokenBucketRateLimiterOptions
        {
            TokenLimit = burst,
            TokensPerPeriod = perSecond,
            ReplenishmentPeriod = TimeSpan.FromSeconds(1),
            QueueLimit = 0,
            AutoReplenishment = true,
        });

    /// <summary>A revoke (<c>DELETE …/tokens/{clientId}</c>) or a workspace's erasure (<c>DELETE /api/workspaces/{id}</c>).</summary>
    private static bool IsAccessChange(HttpContext context)
    {
        if (!HttpMethods.IsDelete(context.Request.Method))
        {
            return false;
        }

        return context.GetEndpoint()?.Metadata.GetMetadata<RouteModel>()?.Config.RouteId switch
        {
            GatewayRoutes.TokensRoute => true,
            GatewayRoutes.WorkspaceRoute => string.IsNullOrEmpty(context.Request.RouteValues["rest"] as string),
            _ => false,
        };
    }

    private static string ClientKey(HttpContext context) => ValidatedClient.KeyOf(context) ?? AddressKey(context);

    public static string AddressKey(HttpContext context) => "addr:" + (context.Connection.RemoteIpAddress?.ToString() ?? "unknown");
}
