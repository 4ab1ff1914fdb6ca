using System.Security.Claims;
using Microsoft.Extensions.Options;
using SyncEngine.Backend.Apps;
using SyncEngine.Tokens;

namespace Services.Sync.Changes;

/// <summary>
/// The limits a write of this token's app is held to (docs/design.md, "Apps on one backend"): the app's
/// <c>maxSchemaVersion</c> (raising it is how an app releases a schema) and its quotas, read from this replica's
/// AppDirectory, which follows every change within 1 s. A token of no known app (a deployment without apps) has the
/// deployment's settings: Sync:MaxSchemaVersion, Sync:MaxWorkspaceBytes, no app-wide limits. Sync:MaxChangeBytes is also a ceiling no app
/// passes, because it bounds what one request holds in memory.
/// </summary>
public sealed class MaxSchemaVersion(IOptionsMonitor<SyncOptions> options, AppDirectory apps)
{
    /// <param name="AppId">The app the limits are of (null: none known), for metrics and its byte quota.</param>
    /// <param name="MaxAppBytes">The app's <c>maxAppBytes</c>, or Sync:MaxAppBytes; null: no limit.</param>
    /// <param name="IsDefaultApp">Whether the app is the deployment's default, which also owns logs of no recorded app.</param>
    /// <param name="MaxLiveStreamsPerClient">Live streams one client of the app may hold on a replica; null: no limit beyond the per-token one.</param>
    public sealed record Limits(
        int MaxSchemaVersion, int MaxChangeBytes, long MaxWorkspaceBytes, string? AppId = null,
        long? MaxAppBytes = null, bool IsDefaultApp = false, int? MaxLiveStreamsPerClient = null);

    public Limits For(ClaimsPrincipal user)
    {
        var deployment = options.CurrentValue;
        if (apps.Find(TokenHolder.From(user)?.AppId) is not { } app)
        {
            return new Limits(deployment.MaxSchemaVersion, deployment.MaxChangeBytes, deployment.MaxWorkspaceBytes);
        }

        var quotas = app.Settings.Quotas;
        return new Limits(
            app.Settings.MaxSchemaVersion,
            (int)Math.Min(quotas.MaxChangeBytes ?? deployment.MaxChangeBytes, deployment.MaxChangeBytes),
            quotas.MaxWorkspaceBytes ?? deployment.MaxWorkspaceBytes,
            app.Id,
            quotas.MaxAppBytes ?? deployment.MaxAppBytes,
            app.Id == apps.DefaultAppId,
            quotas.MaxLiveStreamsPerClient ?? deployment.MaxLiveStreamsPerClient);
    }

    public static bool Allows(int version, int max) => version <= max;
}
