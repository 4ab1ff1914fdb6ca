using JasperFx;
using SyncEngine.ServiceDefaults.Messaging;
using SyncEngine.ServiceDefaults.Problems;
using SyncEngine.ServiceDefaults.Security;
using Wolverine;
using Wolverine.Http;
using Wolverine.Postgresql;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddServiceStore("sync");
builder.AddSyncEngineAuthentication();

builder.Host.UseWolverine(opts =>
{
    opts.UseSyncEngineDefaults("sync");
    // Consumes WorkspaceClaimed (from Workspace) and AccessRevoked (from Auth).
    opts.ListenToPostgresqlQueue("sync");
});
builder.Services.AddWolverineHttp();

var app = builder.Build();
app.UseSyncEngineProblemDetails();
app.UseSyncEngineAuthentication();
app.MapWolverineEndpoints();
app.MapDefaultEndpoints();
return await app.RunJasperFxCommands(args);
