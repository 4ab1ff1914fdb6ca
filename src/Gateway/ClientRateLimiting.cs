using System.Security.Cryptography;
using System.Text;
using System.Threading.RateLimiting;
using SyncEngine.ServiceDefaults.Problems;

namespace Gateway;

/// <summary>
/// Two token buckets in a chain: one per client credential (the bearer token, so one device cannot starve the
/// others behind the same address) and a wider one per remote address (so minting garbage tokens does not escape
/// the limit). Rejections are 429 problem+json with code <c>rate-limited</c> and a Retry-After.
/// </summary>
public static class ClientRateLimiting
{
    public sealed class Options
    {
        public int PermitsPerSecondPerClient { get; set; } = 100;
        public int BurstPerClient { get; set; } = 200;
        public int PermitsPerSecondPerAddress { get; set; } = 2000;
        public int BurstPerAddress { get; set; } = 4000;
    }

    public static IServiceCollection AddClientRateLimiting(this IServiceCollection services, IConfiguration configuration)
    {
        var options = configuration.GetSection("Gateway:RateLimit").Get<Options>() ?? new Options();
        services.AddRateLimiter(limiter =>
        {
            limiter.GlobalLimiter = PartitionedRateLimiter.CreateChained(
                PartitionedRateLimiter.Create<HttpContext, string>(context =>
                    Bucket(ClientKey(context), options.PermitsPerSecondPerClient, options.BurstPerClient)),
                PartitionedRateLimiter.Create<HttpContext, string>(context =>
                    Bucket(AddressKey(context), options.PermitsPerSecondPerAddress, options.BurstPerAddress)));
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

    private static string ClientKey(HttpContext context)
    {
        var authorization = context.Request.Headers.Authorization.ToString();
        if (authorization.Length == 0)
        {
            return AddressKey(context);
        }

        // A digest, not the token: partition keys live in memory and may show up in diagnostics.
        return "token:" + Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(authorization)), 0, 16);
    }

    private static string AddressKey(HttpContext context) => "addr:" + (context.Connection.RemoteIpAddress?.ToString() ?? "unknown");
}
