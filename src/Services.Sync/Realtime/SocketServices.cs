using Microsoft.Extensions.Options;
using Npgsql;
using Services.Sync.Changes;
using Services.Sync.Live;
using Services.Sync.Usage;
using SyncEngine.Backend.Apps;
using SyncEngine.Backend.Security;

namespace Services.Sync.Realtime;

/// <summary>What every socket session of this replica shares: the store, the live fan-out, the limits and the checks the HTTP routes use.</summary>
public sealed record SocketServices(
    NpgsqlDataSource Db,
    HeadNotifications Notifications,
    HeadAnnouncer Announcer,
    ChangeWriter Writer,
    LiveStreamLimit StreamLimit,
    MaxSchemaVersion AppLimits,
    SyncMetrics Metrics,
    AppUsageRecorder Usage,
    RevocationCache Revocations,
    ErasedWorkspaces Erased,
    AppDirectory Apps,
    IOptionsMonitor<SyncOptions> Options,
    TimeProvider Clock,
    IServiceScopeFactory Scopes,
    ILogger<SocketSession> Logger);
