using Marten;
using SyncEngine.Contracts.Apps;

namespace SyncEngine.Backend.Apps;

/// <summary>Auth and Sync keep the newest settings of each app they hear of (Workspace feeds its directory directly).</summary>
public static class AppSettingsChangedHandler
{
    /// <summary>
    /// Stored only when newer than what is kept: the settings are whole, so an older message arriving late, or a
    /// redelivered one, changes nothing. Two replicas may handle two changes of one app at once; the advisory lock
    /// makes the compare-and-store one step. The NOTIFY tells every replica's directory once it commits.
    /// </summary>
    public static async Task Handle(AppSettingsChanged changed, IDocumentSession session, CancellationToken ct)
    {
        var appId = changed.Settings.AppId;
        await session.BeginTransactionAsync(ct);
        await session.QueryAsync<int>("select 1 from (select pg_advisory_xact_lock(hashtextextended(?, 0))) as locked", ct, $"app:{appId}");
        if (await session.LoadAsync<KnownApp>(appId, ct) is { } known && known.Version >= changed.Version)
        {
            return;
        }

        session.Store(KnownApp.From(changed));
        AppDirectoryRefresh.NotifyOnCommit(session, appId);
    }
}
