using JasperFx;
using SyncEngine.ServiceDefaults.Messaging;
using SyncEngine.ServiceDefaults.Problems;
using Wolverine;
using Wolverine.Http;
using Wolverine.Postgresql;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddServiceStore("auth");

builder.Host.UseWolverine(opts =>
{
    opts.UseSyncEngineDefaults("auth");
    // Consumes WorkspaceClaimed (from Workspace).
    opts.ListenToPostgresqlQueue("auth");
});
builder.Services.AddWolverineHttp();

var app = builder.Build();
app.UseSyncEngineProblemDetails();
app.MapWolverineEndpoints();
app.MapDefaultEndpoints();
return await app.RunJasperFxCommands(args);
