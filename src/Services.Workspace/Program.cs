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
using Wolverine.Postgresql;
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
// Workspace owns apps: its directory reads them directly; Apps:CreateDefault registers Apps:Default at start.
builder.AddAppDirectory(AppDirectorySource.LoadAsync);
builder.Services.AddHostedService<DefaultApp>();
builder.Services.Configure<ClaimOptions>(builder.Configuration.GetSection("Workspace"));

builder.Host.UseWolverine(opts =>
{
    opts.UseSyncEngineDefaults("workspace");
    // Consumes AccessGranted, AccessRevoked and MasterTokensRevoked from Auth; also receives the replies to IssueMasterToken.
    opts.ListenToPostgresqlQueue("workspace").UseForReplies();
    opts.PublishMessage<WorkspaceClaimed>().ToPostgresqlQueue("auth");
    opts.PublishMessage<WorkspaceClaimed>().ToPostgresqlQueue("sync");
    opts.PublishMessage<IssueMasterToken>().ToPostgresqlQueue("auth");
    // Every register, change, suspend and resume of an app, in the transaction that records it.
    opts.PublishMessage<AppSettingsChanged>().ToPostgresqlQueue("auth");
    opts.PublishMessage<AppSettingsChanged>().ToPostgresqlQueue("sync");
});
builder.Services.AddWolverineHttp();
builder.AddApiDocument("SyncEngine Workspace API");

var app = builder.Build();
app.UseSyncEngineProblemDetails();
app.UseSyncEngineAuthentication();
app.MapWolverineEndpoints();
app.MapApiDocument();
app.MapAppDirectory();
app.MapDefaultEndpoints();
await app.SetupSchemaExclusivelyAsync(args);
return await app.RunJasperFxCommands(args);
