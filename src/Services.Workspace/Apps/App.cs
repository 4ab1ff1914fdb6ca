using System.Security.Cryptography;
using System.Text;
using SyncEngine.Contracts.Apps;

namespace Services.Workspace.Apps;

// Private to this service, like the workspace events: Auth and Sync learn of an app only through the contract
// AppSettingsChanged that each change publishes. The settings travel as the contract's record because they are the
// same facts; the contract only ever grows by nullable trailing members, which older stored events read as null.

/// <summary>An operator registered the app.</summary>
public sealed record AppRegistered(AppSettings Settings, DateTimeOffset At);

/// <summary>An operator changed the app's settings (all but <c>suspended</c>, which has events of its own).</summary>
public sealed record AppSettingsChanged(AppSettings Settings, DateTimeOffset At);

/// <summary>An operator suspended the app: every route of its workspaces is refused until it is resumed.</summary>
public sealed record AppSuspended(DateTimeOffset At);

/// <summary>An operator resumed a suspended app.</summary>
public sealed record AppResumed(DateTimeOffset At);

/// <summary>The app aggregate, rebuilt from its stream and kept inline as a snapshot document.</summary>
public sealed class App
{
    public Guid Id { get; set; }
    public AppSettings Settings { get; set; } = null!;
    public DateTimeOffset RegisteredAt { get; set; }
    public DateTimeOffset ChangedAt { get; set; }
    public int Version { get; set; }

    /// <summary>
    /// The store keys streams by Guid and apps are named by slug, so the stream id is derived from the slug: the same
    /// slug always finds the same stream, and registering it twice collides.
    /// </summary>
    public static Guid StreamId(string appId) =>
        new(SHA256.HashData(Encoding.UTF8.GetBytes("app:" + appId)).AsSpan(0, 16));

    public static App Create(AppRegistered registered) => new()
    {
        Id = StreamId(registered.Settings.AppId),
        Settings = registered.Settings,
        RegisteredAt = registered.At,
        ChangedAt = registered.At,
    };

    public void Apply(AppSettingsChanged changed)
    {
        Settings = changed.Settings with { Suspended = Settings.Suspended };
        ChangedAt = changed.At;
    }

    public void Apply(AppSuspended suspended)
    {
        Settings = Settings with { Suspended = true };
        ChangedAt = suspended.At;
    }

    public void Apply(AppResumed resumed)
    {
        Settings = Settings with { Suspended = false };
        ChangedAt = resumed.At;
    }
}
