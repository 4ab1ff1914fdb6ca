using System.Collections.Frozen;

namespace SyncEngine.Backend.Apps;

/// <summary>
/// The apps this replica knows, in memory: every lookup on a request path is a dictionary read. Filled from the
/// service's store at start and whenever a change commits there (<see cref="AppDirectoryRefresh"/>), so a change made
/// through Workspace is known here within one message hop and a NOTIFY.
/// </summary>
public sealed class AppDirectory(string defaultAppId)
{
    private FrozenDictionary<string, KnownApp> _apps = FrozenDictionary<string, KnownApp>.Empty;

    /// <summary>
    /// The app of workspaces claimed before apps existed and of tokens without an <c>app</c> claim (<c>Apps:Default</c>),
    /// or empty where the deployment names none.
    /// </summary>
    public string DefaultAppId { get; } = defaultAppId;

    /// <summary>Every known app, in no particular order.</summary>
    public IReadOnlyCollection<KnownApp> All => Volatile.Read(ref _apps).Values;

    /// <summary>The app named <paramref name="appId"/>, or the default app when it is null; null when unknown.</summary>
    public KnownApp? Find(string? appId) =>
        Volatile.Read(ref _apps).GetValueOrDefault(appId ?? DefaultAppId);

    /// <summary>
    /// Raised after every reload, so what depends on an app's settings right now (Sync's live streams of a suspended
    /// app) can act within the 1 s the directory keeps.
    /// </summary>
    public event Action? Changed;

    /// <summary>Takes what the store holds now; an app already known at a newer version keeps that version.</summary>
    internal void Replace(IEnumerable<KnownApp> stored)
    {
        var known = Volatile.Read(ref _apps);
        // A reload that started before a newer one finished must not put an older version back.
        var next = stored
            .Select(app => known.GetValueOrDefault(app.Id) is { } current && current.Version > app.Version ? current : app)
            .ToFrozenDictionary(app => app.Id, StringComparer.Ordinal);
        Volatile.Write(ref _apps, next);
        Changed?.Invoke();
    }
}
