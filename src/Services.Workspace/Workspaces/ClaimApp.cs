using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Mvc;
using SyncEngine.Backend.Apps;
using SyncEngine.Contracts.Apps;
using SyncEngine.ServiceDefaults.Problems;

namespace Services.Workspace.Workspaces;

/// <summary>Which app a claim is for (docs/design.md, "Apps on one backend"), and whether that app takes claims now.</summary>
public static class ClaimApp
{
    /// <summary>
    /// The claim's <c>appId</c>, or the deployment's default app when it has none; refused when there is neither, or the
    /// app is unknown or suspended. An app-token app's own token is checked after this (AppTokens).
    /// A deployment with no apps at all (no default app known) claims as before, with no app.
    /// </summary>
    public static (KnownApp? App, ProblemDetails? Refused) Resolve(string? requested, AppDirectory directory)
    {
        if (requested is null && directory.Find(null) is null)
        {
            return directory.DefaultAppId.Length == 0 && directory.All.Count > 0
                ? (null, Problem.InvalidRequest("appId is required: this deployment names no default app."))
                : (null, null);
        }

        if (directory.Find(requested) is not { } app)
        {
            return (null, Problem.Create(StatusCodes.Status404NotFound, ProblemCodes.AppNotFound, $"There is no app '{requested}'."));
        }

        if (app.Settings.Suspended)
        {
            return (app, AppEnforcement.Suspended(app.Settings));
        }

        return (app, null);
    }
}

/// <summary>
/// An app's <c>claimsPerMinutePerAddress</c>: claims per client address in a fixed one-minute window, per Workspace
/// replica (Workspace runs one), beside the gateway's deployment-wide claim rate. Over it: 429 <c>rate-limited</c>
/// with Retry-After, as the gateway's own limits answer.
/// </summary>
public sealed class ClaimRate
{
    private readonly ConcurrentDictionary<(string App, IPAddress? Address), Window> _windows = new();

    private sealed class Window
    {
        public long Minute;
        public int Count;
    }

    public sealed record Limited(ProblemDetails Problem, int RetryAfterSeconds);

    public Limited? Refuse(AppSettings app, IPAddress? address, DateTimeOffset now)
    {
        if (app.Quotas.ClaimsPerMinutePerAddress is not { } limit)
        {
            return null;
        }

        var minute = now.ToUnixTimeSeconds() / 60;
        var window = _windows.GetOrAdd((app.AppId, address), _ => new Window());
        lock (window)
        {
            if (window.Minute != minute)
            {
                (window.Minute, window.Count) = (minute, 0);
                // Old windows of other addresses are dropped as they are met again; bound the map under a flood.
                if (_windows.Count > 100_000)
                {
                    _windows.Clear();
                }
            }

            if (window.Count >= limit)
            {
                return new Limited(
                    Problem.Create(StatusCodes.Status429TooManyRequests, ProblemCodes.RateLimited,
                        $"This address made {limit} claims for the app '{app.AppId}' this minute, its claimsPerMinutePerAddress."),
                    (int)(60 - now.ToUnixTimeSeconds() % 60));
            }

            window.Count++;
            return null;
        }
    }
}
