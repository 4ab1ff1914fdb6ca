using System.Collections.Frozen;
using SyncEngine.ServiceDefaults.Problems;

namespace Gateway;

/// <summary>
/// CORS per app (docs/design.md, "Apps on one backend"): the API answers a browser on another origin only when an app
/// lists that origin in its <c>allowedOrigins</c>, and a request whose token proves its app (ValidatedClient) only when
/// that app lists it, so one app's origin cannot use another app's tokens. A preflight carries no token, so it passes
/// for an origin any app lists. Requests from the gateway's own origin (the demo it serves) and without an Origin
/// (devices, the CLI) are not cross-origin. The admin API and operator tokens are for operators' tools, never browsers
/// of other origins. A refusal is 403 <c>forbidden</c>, so a request a browser sends without asking first (a simple
/// request) does nothing either. Runs before the rate limiter, so its 429s carry the CORS headers a browser needs to
/// read <c>Retry-After</c>.
/// </summary>
public static class AppCors
{
    /// <summary>Request headers an app may send: what the API reads.</summary>
    public const string AllowedHeaders = "Authorization, Content-Type, Idempotency-Key, Sync-Schema-Version, Sync-Covers, Last-Event-ID";

    /// <summary>Response headers an app may read beyond the safelisted ones.</summary>
    public const string ExposedHeaders = "Location, Retry-After, Sync-Head, Sync-Schema-Version";

    public const string AllowedMethods = "GET, POST, PATCH, DELETE";

    /// <summary>
    /// The origin of a cross-origin request the gateway let through, for a service that must check it against tokens
    /// the gateway never sees: the realtime channel's arrive in its messages, not in a header. Set only by the gateway
    /// (a client's own is removed), so a service trusts it.
    /// </summary>
    public const string CrossOriginHeader = "SyncEngine-Cross-Origin";

    /// <summary>How long a browser may keep a preflight's answer: a removed origin loses access by then at the latest.</summary>
    public const int PreflightMaxAgeSeconds = 300;

    public abstract record Decision
    {
        private Decision() { }

        /// <summary>No Origin, the gateway's own, or a path that is not the API's: nothing to do.</summary>
        public sealed record NotCrossOrigin : Decision;

        public sealed record Refuse(string Detail) : Decision;

        /// <summary>Answer the preflight for <paramref name="Origin"/>.</summary>
        public sealed record Preflight(string Origin) : Decision;

        /// <summary>Pass the request on, its answer readable by <paramref name="Origin"/>.</summary>
        public sealed record Allow(string Origin) : Decision;
    }

    /// <summary>
    /// What a request from <paramref name="origin"/> to <paramref name="path"/> on the gateway at <paramref name="host"/>
    /// amounts to, given the apps that allow the origin and the app of the request's token (null: none proven).
    /// </summary>
    public static Decision Decide(string? origin, string host, PathString path, bool isPreflight, FrozenSet<string>? appsAllowing, string? tokenApp)
    {
        if (string.IsNullOrEmpty(origin) || IsSameOrigin(origin, host))
        {
            return new Decision.NotCrossOrigin();
        }

        if (path.StartsWithSegments("/admin") || path.StartsWithSegments("/connect"))
        {
            return new Decision.Refuse($"The admin API does not answer browsers of other origins ({origin}).");
        }

        if (!path.StartsWithSegments("/api") && !path.StartsWithSegments("/.well-known"))
        {
            return new Decision.NotCrossOrigin();
        }

        if (appsAllowing is null)
        {
            return new Decision.Refuse($"No app lists the origin {origin} in its allowedOrigins.");
        }

        if (isPreflight)
        {
            return new Decision.Preflight(origin);
        }

        return tokenApp is not null && !appsAllowing.Contains(tokenApp)
            ? new Decision.Refuse($"The app '{tokenApp}' of this token does not list the origin {origin} in its allowedOrigins.")
            : new Decision.Allow(origin);
    }

    /// <summary>Whether the origin names the host the request came to (the scheme is left out: TLS may end before the gateway).</summary>
    public static bool IsSameOrigin(string origin, string host) =>
        Uri.TryCreate(origin, UriKind.Absolute, out var uri) && string.Equals(uri.Authority, host, StringComparison.OrdinalIgnoreCase);

    public static IServiceCollection AddAppCors(this IServiceCollection services, IConfiguration configuration)
    {
        var every = configuration.GetValue("Gateway:AppOriginsRefreshEvery", TimeSpan.FromSeconds(1));
        services.AddSingleton<AppOrigins>();
        services.AddHttpClient(AppOrigins.Refresh.Client);
        services.AddHostedService(provider => new AppOrigins.Refresh(
            provider.GetRequiredService<AppOrigins>(), provider.GetRequiredService<IHttpClientFactory>(), every,
            provider.GetRequiredService<ILogger<AppOrigins.Refresh>>()));
        return services;
    }

    public static IApplicationBuilder UseAppCors(this IApplicationBuilder app, IConfiguration configuration)
    {
        var origins = app.ApplicationServices.GetRequiredService<AppOrigins>();
        var defaultApp = configuration["Apps:Default"] ?? "";
        return app.Use(async (context, next) =>
        {
            var request = context.Request;
            request.Headers.Remove(CrossOriginHeader);
            string? origin = request.Headers.Origin;
            var isPreflight = HttpMethods.IsOptions(request.Method) && request.Headers.ContainsKey("Access-Control-Request-Method");
            var normalized = origin is null ? null : AppOrigins.Normalize(origin);
            var decision = Decide(origin, request.Host.Value ?? "", request.Path, isPreflight,
                normalized is null ? null : origins.AppsAllowing(normalized), ValidatedClient.AppOf(context, defaultApp));
            var headers = context.Response.Headers;
            switch (decision)
            {
                case Decision.NotCrossOrigin:
                    await next(context);
                    return;
                case Decision.Refuse(var detail):
                    headers.Vary = "Origin";
                    await Problem.Result(Problem.Create(StatusCodes.Status403Forbidden, ProblemCodes.Forbidden, detail)).ExecuteAsync(context);
                    return;
                case Decision.Preflight(var allowed):
                    headers.AccessControlAllowOrigin = allowed;
                    headers.AccessControlAllowMethods = AllowedMethods;
                    headers.AccessControlAllowHeaders = AllowedHeaders;
                    headers.AccessControlMaxAge = PreflightMaxAgeSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
                    headers.Vary = "Origin";
                    context.Response.StatusCode = StatusCodes.Status204NoContent;
                    return;
                case Decision.Allow(var allowed):
                    request.Headers[CrossOriginHeader] = normalized;
                    // Set when the answer starts: the proxied service's headers are copied over the response first.
                    context.Response.OnStarting(() =>
                    {
                        headers.AccessControlAllowOrigin = allowed;
                        headers.AccessControlExposeHeaders = ExposedHeaders;
                        headers.Append("Vary", "Origin");
                        return Task.CompletedTask;
                    });
                    await next(context);
                    return;
            }
        });
    }
}
