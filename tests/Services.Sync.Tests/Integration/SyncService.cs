using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using SyncEngine.Backend.Apps;
using SyncEngine.Contracts.Apps;
using SyncEngine.Contracts.Workspaces;
using SyncEngine.Testing;
using SyncEngine.Tokens;
using Xunit;

[assembly: AssemblyFixture(typeof(Services.Sync.Tests.Integration.SyncService))]

namespace Services.Sync.Tests.Integration;

/// <summary>Sync alone, in process, on its own PostgreSQL: once for this test assembly, its limits small enough to reach.</summary>
public class SyncService : ServiceHost<Program>
{
    public SyncService()
        : this(new Dictionary<string, string?>())
    {
    }

    /// <param name="overrides">Settings that differ from the ones below, for a second host of other timings.</param>
    protected SyncService(IReadOnlyDictionary<string, string?> overrides)
        : base("sync", Settings(overrides))
    {
    }

    private static Dictionary<string, string?> Settings(IReadOnlyDictionary<string, string?> overrides)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Sync:MaxSchemaVersion"] = MaxSchemaVersion.ToString(CultureInfo.InvariantCulture),
            ["Sync:MaxWorkspaceBytes"] = MaxWorkspaceBytes.ToString(CultureInfo.InvariantCulture),
            ["Sync:MaxChangeBytes"] = MaxChangeBytes.ToString(CultureInfo.InvariantCulture),
            ["Sync:MaxSnapshotBytes"] = MaxSnapshotBytes.ToString(CultureInfo.InvariantCulture),
            ["Sync:MaxLiveStreamsPerToken"] = MaxLiveStreamsPerToken.ToString(CultureInfo.InvariantCulture),
            ["Sync:CoveredChangeRetention"] = CoveredChangeRetention.ToString("c", CultureInfo.InvariantCulture),
            ["Sync:PruneEvery"] = "00:00:01",
            ["Sync:HeartbeatEvery"] = HeartbeatEvery.ToString("c", CultureInfo.InvariantCulture),
            ["Sync:SocketSendQueueBytes"] = SocketSendQueueBytes.ToString(CultureInfo.InvariantCulture),
            ["Sync:SocketMessagesPerSecond"] = SocketMessagesPerSecond.ToString(CultureInfo.InvariantCulture),
            ["Sync:MaxSubscriptionsPerSocket"] = MaxSubscriptionsPerSocket.ToString(CultureInfo.InvariantCulture),
            ["Sync:AdvertisedAddress"] = AdvertisedAddress,
        };
        foreach (var (key, value) in overrides)
        {
            settings[key] = value;
        }

        return settings;
    }

    /// <summary>Sync:MaxSchemaVersion here (2 by default): the newest any test pushes.</summary>
    public const int MaxSchemaVersion = 3;

    /// <summary>Sync:MaxChangeBytes here, not the 4 MiB default, so a test proves the limit is read from configuration.</summary>
    public const int MaxChangeBytes = 2 * 1024 * 1024;

    /// <summary>Sync:MaxSnapshotBytes here, not the 16 MiB default, likewise; above two pull chunks (1 MiB each).</summary>
    public const int MaxSnapshotBytes = 3 * 1024 * 1024;

    /// <summary>Sync:MaxWorkspaceBytes here, not the 1 GiB default: a test fills a workspace in a dozen pushes.</summary>
    public const long MaxWorkspaceBytes = 24L * 1024 * 1024;

    /// <summary>Sync:MaxLiveStreamsPerToken here, not the default 4.</summary>
    public const int MaxLiveStreamsPerToken = 2;

    /// <summary>Sync:CoveredChangeRetention here: short enough to watch covered changes being pruned within a test.</summary>
    public static readonly TimeSpan CoveredChangeRetention = TimeSpan.FromSeconds(3);

    public static readonly TimeSpan HeartbeatEvery = TimeSpan.FromSeconds(1);

    /// <summary>Sync:SocketSendQueueBytes here, not 4 MiB: a test fills it with a few pushes.</summary>
    public const long SocketSendQueueBytes = 256 * 1024;

    /// <summary>Sync:SocketMessagesPerSecond here, not 2000: a test's flood passes it at once.</summary>
    public const int SocketMessagesPerSecond = 200;

    public const int MaxSubscriptionsPerSocket = 3;

    /// <summary>Sync:AdvertisedAddress here: in process there is no listening address to advertise, so one is configured.</summary>
    public const string AdvertisedAddress = "http://127.0.0.1:7001";

    /// <summary>A socket to <c>/api/sync</c>, in memory like <see cref="ServiceHost{T}.Http"/>.</summary>
    public async Task<SyncEngine.Client.SyncSocket> OpenSocketAsync()
    {
        var client = Server.CreateWebSocketClient();
        client.SubProtocols.Add(SyncEngine.Client.SyncSocket.Subprotocol);
        var socket = await client.ConnectAsync(new Uri(Server.BaseAddress, "/api/sync"), TestContext.Current.CancellationToken);
        return new SyncEngine.Client.SyncSocket(socket);
    }

    /// <summary>A socket session of this replica on <paramref name="socket"/> (a fake device's, or a real socket pair's).</summary>
    public Task RunSessionAsync(System.Net.WebSockets.WebSocket socket, CancellationToken stopping) =>
        new Services.Sync.Realtime.SocketSession(socket, Services.GetRequiredService<Services.Sync.Realtime.SocketServices>()).RunAsync(stopping);

    /// <summary>A workspace Workspace has announced (its WorkspaceClaimed handled here) and its owner's master token.</summary>
    public async Task<(Guid WorkspaceId, Guid Owner, string Master)> NewWorkspaceAsync()
    {
        var (workspaceId, owner) = (Guid.NewGuid(), Guid.NewGuid());
        await InvokeAsync(new WorkspaceClaimed(workspaceId, owner, DateTimeOffset.UtcNow));
        return (workspaceId, owner, Signer.Issue(workspaceId, owner, Scopes.ReadWrite, master: true));
    }

    /// <summary>Registers an app as Workspace announces one, and waits until this replica's directory knows it (a NOTIFY away).</summary>
    public async Task RegisterAppAsync(string appId, AppQuotas quotas)
    {
        var settings = new AppSettings(appId, appId, AppSettings.OpenPolicy, null, null, [], MaxSchemaVersion, quotas, false);
        await InvokeAsync(new AppSettingsChanged(settings, 1, DateTimeOffset.UtcNow));
        var directory = Services.GetRequiredService<AppDirectory>();
        await Eventually.Until(_ => Task.FromResult(directory.Find(appId) is not null), known => known, TimeSpan.FromSeconds(10),
            TestContext.Current.CancellationToken);
    }

    /// <summary>Suspends (or resumes) an app as Workspace announces it, and waits until this replica's directory says so.</summary>
    public async Task SetSuspendedAsync(string appId, AppQuotas quotas, bool suspended, long version)
    {
        var settings = new AppSettings(appId, appId, AppSettings.OpenPolicy, null, null, [], MaxSchemaVersion, quotas, suspended);
        await InvokeAsync(new AppSettingsChanged(settings, version, DateTimeOffset.UtcNow));
        var directory = Services.GetRequiredService<AppDirectory>();
        await Eventually.Until(_ => Task.FromResult(directory.Find(appId)?.Settings.Suspended == suspended), done => done, TimeSpan.FromSeconds(10),
            TestContext.Current.CancellationToken);
    }

    /// <summary>A workspace of <paramref name="appId"/>, announced, and its owner's master token carrying that app.</summary>
    public async Task<(Guid WorkspaceId, Guid Owner, string Master)> NewWorkspaceAsync(string appId, Guid? owner = null)
    {
        var workspaceId = Guid.NewGuid();
        var ownerId = owner ?? Guid.NewGuid();
        await InvokeAsync(new WorkspaceClaimed(workspaceId, ownerId, DateTimeOffset.UtcNow, appId));
        return (workspaceId, ownerId, Signer.Issue(workspaceId, ownerId, Scopes.ReadWrite, master: true, app: appId));
    }

    /// <summary>A member's token as Auth would issue it after a join: Sync learns of members only through their tokens.</summary>
    public (Guid Client, Guid TokenId, string Token) NewMember(Guid workspaceId, string scope, DateTimeOffset? expires = null)
    {
        var (client, tokenId) = (Guid.NewGuid(), Guid.NewGuid());
        return (client, tokenId, Signer.Issue(workspaceId, client, scope, tokenId: tokenId, expires: expires));
    }

    /// <summary>A push with the raw answer, for its status and problem.</summary>
    public Task<HttpResponseMessage> PushAsync(Guid workspaceId, string? token, HttpContent body, string? version = "1", bool withoutKey = false) =>
        Http.PushChangeAsync(workspaceId, token, body, TestContext.Current.CancellationToken, version, withoutIdempotencyKey: withoutKey);

    public Task<HttpResponseMessage> PushAsync(Guid workspaceId, string? token, byte[] change, string? version = "1") =>
        PushAsync(workspaceId, token, new ByteArrayContent(change), version);

    /// <summary>A snapshot upload with the raw answer.</summary>
    public Task<HttpResponseMessage> UploadAsync(Guid workspaceId, string? token, HttpContent body, long covers) =>
        Http.UploadSnapshotAsync(workspaceId, token, body, covers, TestContext.Current.CancellationToken);

    public Task<HttpResponseMessage> UploadAsync(Guid workspaceId, string? token, byte[] snapshot, long covers) =>
        UploadAsync(workspaceId, token, new ByteArrayContent(snapshot), covers);
}

/// <summary>
/// Sync with its safety nets an hour away: the sockets' heartbeat (which ends expired and suspended subscriptions) and
/// the replica-wide audit (which finds lost revocations and erasures) both run every <c>Sync:HeartbeatEvery</c>.
/// </summary>
public sealed class SyncServiceWithoutSafetyNet() : SyncService(new Dictionary<string, string?> { ["Sync:HeartbeatEvery"] = "01:00:00" });
