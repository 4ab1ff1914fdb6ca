using SyncEngine.Contracts.Apps;

namespace SyncEngine.Backend.Apps;

/// <summary>
/// An app as this service last heard of it (<see cref="AppSettingsChanged"/>), kept in the service's own schema so a
/// restarted replica knows every app before its first request. Workspace, which owns apps, builds these from its own
/// App documents instead.
/// </summary>
public sealed class KnownApp
{
    /// <summary>The app's slug.</summary>
    public string Id { get; set; } = "";
    public AppSettings Settings { get; set; } = null!;
    /// <summary>The app's version at Workspace: a message with a lower or equal one is old news.</summary>
    public long Version { get; set; }
    public DateTimeOffset ChangedAt { get; set; }

    public static KnownApp From(AppSettingsChanged changed) => new()
    {
        Id = changed.Settings.AppId,
        Settings = changed.Settings,
        Version = changed.Version,
        ChangedAt = changed.At,
    };
}
