using JasperFx;
using Microsoft.Extensions.Options;
using Services.Sync;
using Services.Sync.Archives;
using Services.Sync.Changes;
using Services.Sync.Live;
using Services.Sync.Realtime;
using Services.Sync.Replicas;
using Services.Sync.Snapshots;
using Services.Sync.Usage;
using Services.Sync.Workspaces;
using SyncEngine.Backend.Apps;
using SyncEngine.Backend.Messaging;
using SyncEngine.Backend.OpenApi;
using SyncEngine.Backend.Security;
using SyncEngine.ServiceDefaults.Problems;
using Wolverine;
using Wolverine.Http;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.LimitDatabasePool();
builder.AddServiceStore("sync", marten => marten.AddSyncTables());
builder.AddAppDirectory();
builder.AddSyncEngineAuthentication();
// Operators read an app's usage here (GET /admin/apps/{appId}/usage).
builder.AddOperatorAuthentication();
builder.Services.AddOptions<SyncOptions>().Bind(builder.Configuration.GetSection("Sync")).ValidateOnStart();
builder.Services.AddSingleton<IValidateOptions<SyncOptions>, AdvertisedAddressValidation>();
builder.Services.AddSingleton<SyncMetrics>().AddSingleton<SyncProblems>().AddSingleton<MaxSchemaVersion>().AddHttpContextAccessor();
builder.Services.AddSingleton<HeadNotifications>().AddHostedService(sp => sp.GetRequiredService<HeadNotifications>());
builder.Services.AddHostedService<LiveAudit>();
builder.Services.AddSingleton<LiveStreamLimit>().AddSingleton<SocketServices>().AddSingleton<ChangeWriter>();
// Archives ask Workspace about their workspace's owner, as the operator who asked.
builder.Services.AddHttpClient(WorkspaceRecords.HttpClientName);
builder.Services.AddSingleton<WorkspaceRecords>();
builder.Services.AddSingleton<HeadAnnouncer>().AddHostedService(sp => sp.GetRequiredService<HeadAnnouncer>());
builder.Services.AddHostedService<ClampUnreleasedVersions>().AddHostedService<PruneCoveredChanges>();
builder.Services.AddSingleton<AppUsageRecorder>().AddHostedService(sp => sp.GetRequiredService<AppUsageRecorder>());
builder.Services.AddHostedService<ReplicaRegistry>();

builder.Host.UseWolverine(opts =>
{
    opts.UseSyncEngineDefaults("sync", builder.Configuration);
    // Consumes WorkspaceClaimed (from Workspace), AccessRevoked and MasterTokensRevoked (from Auth).
    // Also AppSettingsChanged (from Workspace): the apps this service knows, kept in its own schema.
    opts.Discovery.IncludeType(typeof(AppSettingsChangedHandler));
    opts.ListenToServiceQueue("sync");
});
builder.Services.AddWolverineHttp();
builder.AddApiDocument("SyncEngine Sync API");

var app = builder.Build();
app.UseRejectionMetrics();
app.UseWebSockets();
app.UseSyncEngineProblemDetails();
app.UseSyncEngineAuthentication();
app.MapPushChange();
app.MapPullChanges();
app.MapUploadSnapshot();
app.MapLiveEvents();
app.MapSyncSocket();
app.MapGetAppUsage();
app.MapWorkspaceStats();
app.MapListReplicas();
app.MapExportWorkspace();
app.MapRestoreWorkspace();
app.MapWolverineEndpoints();
app.MapApiDocument();
app.MapAppDirectory();
app.MapDefaultEndpoints();
await app.SetupSchemaExclusivelyAsync(args, PartitionedChangeLog.EnsureAsync);
return await app.RunJasperFxCommands(args);
