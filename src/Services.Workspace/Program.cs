using JasperFx;
using JasperFx.Events.Projections;
using Services.Workspace.Apps;
using Services.Workspace.Workspaces;
using SyncEngine.Backend.Apps;
using SyncEngine.Backend.Messaging;
using SyncEngine.Backend.OpenApi;
using SyncEngine.Backend.Security;
using SyncEngine.Contracts.Workspaces;
using SyncEngine.ServiceDefaults.Problems;
using Wolverine;
using Wolverine.Http;
using AppSettingsChanged = SyncEngine.Contracts.Apps.AppSettingsChanged;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddServiceStore("workspace", marten =>
{
    marten.Projections.Snapshot<Workspace>(SnapshotLifecycle.Inline);
    marten.Projections.Snapshot<App>(SnapshotLifecycle.Inline);
});
builder.AddSyncEngineAuthentication();
builder.AddOperatorAuthentication();
// Workspace owns apps: its directory reads them directly; ConfiguredApps registers Apps:Default and Apps:Register:* at start.
builder.AddAppDirectory(AppDirectorySource.LoadAsync);
builder.Services.AddHostedService<ConfiguredApps>();
builder.Services.Configure<ClaimOptions>(builder.Configuration.GetSection("Workspace"));
builder.Services.AddSingleton<ClaimRate>();
// app-token apps: their issuers' discovery documents and keys, fetched and cached per issuer.
builder.Services.AddHttpClient(AppTokens.HttpClientName);
builder.Services.AddSingleton<AppTokens>();
// The operators' workspace views ask Sync what it stores.
builder.Services.AddHttpClient(SyncStatsClient.HttpClientName);
builder.Services.AddSingleton<SyncStatsClient>();

builder.Host.UseWolverine(opts =>
{
    opts.UseSyncEngineDefaults("workspace", builder.Configuration);
    // Consumes AccessGranted, AccessRevoked and MasterTokensRevoked from Auth; also receives the replies to IssueMasterToken.
    opts.ListenToServiceQueue("workspace", replies: true);
    opts.PublishMessage<WorkspaceClaimed>().ToServiceQueue("auth");
    opts.PublishMessage<WorkspaceClaimed>().ToServiceQueue("sync");
    opts.PublishMessage<IssueMasterToken>().ToServiceQueue("auth");
    opts.PublishMessage<WorkspaceErased>().ToServiceQueue("auth");
    opts.PublishMessage<WorkspaceErased>().ToServiceQueue("sync");
    // Every register, change, suspend and resume of an app, in the transaction that records it.
    opts.PublishMessage<AppSettingsChanged>().ToServiceQueue("auth");
    opts.PublishMessage<AppSettingsChanged>().ToServiceQueue("sync");
});
builder.Services.AddWolverineHttp();
builder.AddApiDocument("SyncEngine Workspace API");

var app = builder.Build();
// The client's address, as the gateway saw it, for the apps' claims per address.
app.UseForwardedHeaders();
app.UseSyncEngineProblemDetails();
app.UseSyncEngineAuthentication();
app.MapWolverineEndpoints();
app.MapApiDocument();
app.MapAppDirectory();
app.MapDefaultEndpoints();
await app.SetupSchemaExclusivelyAsync(args);
return await app.RunJasperFxCommands(args);
