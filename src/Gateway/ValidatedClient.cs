using System.Security.Claims;
using Microsoft.IdentityModel.Protocols;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using SyncEngine.Tokens;

namespace Gateway;

/// <summary>
/// Who a request is, as far as the gateway can prove it: the (workspace, client) of a bearer token whose ES256
/// signature, issuer, audience and lifetime check out against Auth's published keys. The rate limiter keys a client's
/// bucket on that, so an invented Authorization header buys no bucket of its own. Revocation is left to the services
/// (a revoked device keeps its bucket, and every request it spends is refused there). Keys come from Auth in the
/// background: until they have, or if Auth cannot be reached, no token counts as proven and requests fall back to
/// their address, never waiting on Auth.
/// </summary>
public static class ValidatedClient
{
    private const string ItemKey = "SyncEngine.ValidatedClient";

    public static IServiceCollection AddValidatedClient(this IServiceCollection services, IConfiguration configuration)
    {
        var issuer = configuration["Auth:Issuer"] ?? TokenClaims.DefaultIssuer;
        var refreshEvery = configuration.GetValue("Security:KeyRefreshEvery", TimeSpan.FromMinutes(10));
        services.AddHttpClientWithoutResilience(AuthKeys.HttpClientName);
        services.AddSingleton(provider => new Checker(
            AuthKeys.Remote(provider, issuer, refreshEvery), new CachingTokenHandler(provider.GetService<TimeProvider>()), issuer));
        return services;
    }

    public static IApplicationBuilder UseValidatedClient(this IApplicationBuilder app)
    {
        var checker = app.ApplicationServices.GetRequiredService<Checker>();
        // Ask for the keys now rather than on the first request that carries a token.
        checker.Warm();
        return app.Use(async (context, next) =>
        {
            if (await checker.ClientOfAsync(context.Request.Headers.Authorization.ToString()) is { } client)
            {
                context.Items[ItemKey] = client;
            }

            await next(context);
        });
    }

    /// <summary>The proven client's key, or null when the request carries no token that checked out.</summary>
    public static string? KeyOf(HttpContext context) => context.Items.TryGetValue(ItemKey, out var client) ? (client as Proven)?.Key : null;

    /// <summary>
    /// The app of the proven client's token (a token without the claim is the default app's, <paramref name="defaultApp"/>),
    /// or null when the request carries no token that checked out.
    /// </summary>
    public static string? AppOf(HttpContext context, string defaultApp) =>
        context.Items.TryGetValue(ItemKey, out var client) && client is Proven proven ? proven.AppId ?? defaultApp : null;

    /// <summary>A token that checked out: the rate limiter's key for its client, and its app claim.</summary>
    public sealed record Proven(string Key, string? AppId);

    public sealed class Checker(IConfigurationManager<OpenIdConnectConfiguration> keys, CachingTokenHandler handler, string issuer) : IDisposable
    {
        private const string Bearer = "Bearer ";
        private Task<OpenIdConnectConfiguration>? _fetching;

        public void Warm() => Observe(Keys());

        public async Task<Proven?> ClientOfAsync(string authorization)
        {
            if (!authorization.StartsWith(Bearer, StringComparison.OrdinalIgnoreCase))
            {
                return null;
            }

            var configuration = Keys();
            if (!configuration.IsCompletedSuccessfully)
            {
                Observe(configuration);
                return null;
            }

            var parameters = TokenParameters.For(issuer);
            parameters.IssuerSigningKeys = configuration.Result.SigningKeys;
            var result = await handler.ValidateTokenAsync(authorization[Bearer.Length..].Trim(), parameters);
            return result.IsValid && TokenHolder.From(new ClaimsPrincipal(result.ClaimsIdentity)) is { } holder
                ? new Proven($"client:{holder.WorkspaceId:N}:{holder.ClientId:N}", holder.AppId)
                : null;
        }

        /// <summary>
        /// Once keys are known this answers at once (IdentityModel refreshes them in the background). Before that, a
        /// call waits on a fetch from Auth: requests share the one under way (a race may start two, not one per request),
        /// or a flood of tokens while Auth is down would queue a fetch each.
        /// </summary>
        private Task<OpenIdConnectConfiguration> Keys()
        {
            var fetching = _fetching;
            return fetching is { IsCompleted: false } ? fetching : _fetching = keys.GetConfigurationAsync(CancellationToken.None);
        }

        public void Dispose()
        {
            (keys as IDisposable)?.Dispose();
            handler.Dispose();
        }

        // A failed fetch is retried by the next request or the periodic refresh; it must not go unobserved meanwhile.
        private static void Observe(Task task) =>
            task.ContinueWith(t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
    }
}
