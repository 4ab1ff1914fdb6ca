using JasperFx;
using JasperFx.Events.Projections;
using Services.Workspace.Workspaces;
using SyncEngine.Contracts.Workspaces;
using SyncEngine.ServiceDefaults.Messaging;
using SyncEngine.ServiceDefaults.Problems;
using Wolverine;
using Wolverine.Http;
using Wolverine.Postgresql;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddServiceStore("workspace", marten => marten.Projections.Snapshot<Workspace>(SnapshotLifecycle.Inline));

builder.Host.UseWolverine(opts =>
{
    opts.UseSyncEngineDefaults("workspace");
    opts.ListenToPostgresqlQueue("workspace");
    opts.PublishMessage<WorkspaceClaimed>().ToPostgresqlQueue("auth");
    opts.PublishMessage<WorkspaceClaimed>().ToPostgresqlQueue("sync");
});
builder.Services.AddWolverineHttp();

var app = builder.Build();
app.UseSyncEngineProblemDetails();
app.MapWolverineEndpoints();
app.MapDefaultEndpoints();
return await app.RunJasperFxCommands(args);
