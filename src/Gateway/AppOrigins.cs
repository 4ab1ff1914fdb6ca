using System.Collections.Frozen;
using System.Net;
using System.Net.Http.Json;

namespace Gateway;

/// <summary>
/// Which apps allow which browser origins (their <c>allowedOrigins</c>), for <see cref="AppCors"/>. The gateway keeps
/// no store of its own: it asks Workspace, which owns apps, every <c>Gateway:AppOriginsRefreshEvery</c> (1 s, so an
/// origin added or removed is in force here within about a second, like every other app setting), with the list's
/// ETag, so an unchanged list costs a 304. Until the first answer, and while Workspace cannot be reached, the last list
/// known stays in force (empty at start: no cross-origin request passes before the gateway has heard of any app).
/// </summary>
public sealed class AppOrigins
{
    private FrozenDictionary<string, FrozenSet<string>> _appsByOrigin = FrozenDictionary<string, FrozenSet<string>>.Empty;

    /// <summary>The apps that allow <paramref name="origin"/> (<c>scheme://host[:port]</c>), or null when none does.</summary>
    public FrozenSet<string>? AppsAllowing(string origin) =>
        Volatile.Read(ref _appsByOrigin).TryGetValue(origin, out var apps) ? apps : null;

    /// <summary>Takes a new list: each app with its allowed origins.</summary>
    public void Replace(IEnumerable<(string AppId, IReadOnlyList<string> AllowedOrigins)> apps) =>
        Volatile.Write(ref _appsByOrigin, apps
            .SelectMany(app => app.AllowedOrigins.Select(origin => (Origin: Normalize(origin), app.AppId)))
            .GroupBy(pair => pair.Origin, StringComparer.Ordinal)
            .ToFrozenDictionary(group => group.Key, group => group.Select(pair => pair.AppId).ToFrozenSet(StringComparer.Ordinal), StringComparer.Ordinal));

    /// <summary>Origins compare as browsers send them: scheme and host in lower case, no trailing slash.</summary>
    public static string Normalize(string origin) => origin.TrimEnd('/').ToLowerInvariant();

    /// <summary>Asks Workspace for the list, every <paramref name="every"/>.</summary>
    public sealed class Refresh(AppOrigins origins, IHttpClientFactory http, TimeSpan every, ILogger<Refresh> logger) : BackgroundService
    {
        public const string Client = "workspace-apps";

        private sealed record Listed(string AppId, IReadOnlyList<string> AllowedOrigins);

        protected override async Task ExecuteAsync(CancellationToken stoppingToken)
        {
            using var client = http.CreateClient(Client);
            string? etag = null;
            using var timer = new PeriodicTimer(every);
            do
            {
                try
                {
                    using var request = new HttpRequestMessage(HttpMethod.Get, "http://workspace/internal/apps/origins");
                    if (etag is not null)
                    {
                        request.Headers.TryAddWithoutValidation("If-None-Match", etag);
                    }

                    using var response = await client.SendAsync(request, stoppingToken);
                    if (response.StatusCode == HttpStatusCode.NotModified)
                    {
                        continue;
                    }

                    response.EnsureSuccessStatusCode();
                    var listed = await response.Content.ReadFromJsonAsync<List<Listed>>(stoppingToken) ?? [];
                    origins.Replace(listed.Select(app => (app.AppId, app.AllowedOrigins)));
                    etag = response.Headers.ETag?.ToString();
                }
                catch (Exception e) when (!stoppingToken.IsCancellationRequested)
                {
                    // Workspace restarting, unreachable or too slow (the resilience handler's timeouts and open circuit
                    // are exceptions of their own): the list known stays in force; the next tick asks again. Whatever
                    // the exception, the loop goes on: one escaping it would stop the gateway itself (a CI run lost
                    // its gateway so while Workspace was restarting, and every request after hung).
                    logger.Log(e is HttpRequestException or OperationCanceledException ? LogLevel.Debug : LogLevel.Warning, e,
                        "Could not read the apps' allowed origins from Workspace");
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
    }
}
