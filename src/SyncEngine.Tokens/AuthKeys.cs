using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.Protocols;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Microsoft.IdentityModel.Tokens;

namespace SyncEngine.Tokens;

/// <summary>
/// Auth's public signing keys as every service and the gateway fetch them: the JWKS straight from Auth by service
/// discovery, not through the discovery document, whose <c>jwks_uri</c> names the public origin (reachable from
/// outside, not necessarily from inside). The issuer is our own configuration, not something the network tells us.
/// </summary>
public static class AuthKeys
{
    public const string JwksAddress = "http://auth/.well-known/jwks.json";

    public static readonly TimeSpan FetchTimeout = TimeSpan.FromSeconds(2);

    /// <summary>
    /// The fetch's HttpClient, which callers register without the resilience handler every other client gets
    /// (ServiceDefaults' <c>AddHttpClientWithoutResilience</c>): a fetch has its own timeout and is asked again by the next request or tick,
    /// so retries add nothing, and disposing the handler's pipeline waits for a fetch in flight, which held every
    /// stop up to <see cref="FetchTimeout"/> while Auth was unreachable (seen with dotnet-dump in the gateway's tests).
    /// </summary>
    public const string HttpClientName = "auth-keys";

    public static PeriodicKeyRefresh Remote(IServiceProvider services, string issuer, TimeSpan refreshEvery)
    {
        var http = services.GetRequiredService<IHttpClientFactory>().CreateClient(HttpClientName);
        // Auth answers its JWKS in milliseconds. IdentityModel fetches keys without the request's cancellation, so a
        // fetch that hangs holds every request waiting on it, and a stopping service waits for those requests. That
        // was the "Failed to stop resource 'sync-…'" in RestartTests: with Auth restarting too, Aspire's proxy held the
        // fetch open until Auth was back (9.7 s, under the standard handler's 10 s attempt timeout) and DCP killed the
        // service 6 s after SIGTERM. A failed fetch costs nothing: the keys already known stay in use and the next
        // request or tick asks again.
        http.Timeout = FetchTimeout;
        var keys = new ConfigurationManager<OpenIdConnectConfiguration>(
            JwksAddress, new JwksRetriever(issuer), new HttpDocumentRetriever(http) { RequireHttps = false })
        {
            // A token signed with a key we have not seen yet triggers a refresh, at most this often. The same throttle
            // holds back the periodic refresh, so it is never longer than that period.
            RefreshInterval = refreshEvery < TimeSpan.FromSeconds(30) ? refreshEvery : TimeSpan.FromSeconds(30),
            AutomaticRefreshInterval = refreshEvery < ConfigurationManager<OpenIdConnectConfiguration>.MinimumAutomaticRefreshInterval
                ? ConfigurationManager<OpenIdConnectConfiguration>.MinimumAutomaticRefreshInterval
                : refreshEvery,
        };
        return new PeriodicKeyRefresh(keys, refreshEvery, services.GetService<TimeProvider>() ?? TimeProvider.System);
    }

    /// <summary>The keys of a JWKS document as validators use them, under our own issuer.</summary>
    public static OpenIdConnectConfiguration FromJwks(string jwks, string issuer)
    {
        var keySet = new JsonWebKeySet(jwks);
        var configuration = new OpenIdConnectConfiguration { Issuer = issuer, JsonWebKeySet = keySet };
        foreach (var key in keySet.GetSigningKeys())
        {
            configuration.SigningKeys.Add(key);
        }

        return configuration;
    }

    private sealed class JwksRetriever(string issuer) : IConfigurationRetriever<OpenIdConnectConfiguration>
    {
        public async Task<OpenIdConnectConfiguration> GetConfigurationAsync(string address, IDocumentRetriever retriever, CancellationToken cancel) =>
            FromJwks(await retriever.GetDocumentAsync(address, cancel), issuer);
    }
}
