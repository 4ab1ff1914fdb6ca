using Gateway;
using SyncEngine.ServiceDefaults.Problems;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.Services.AddValidatedClient(builder.Configuration);
builder.Services.AddClientRateLimiting(builder.Configuration);
builder.Services.AddReverseProxy()
    .LoadFromMemory(GatewayRoutes.Routes, GatewayRoutes.Clusters)
    .AddServiceDiscoveryDestinationResolver();

var app = builder.Build();
app.UseSyncEngineProblemDetails();
app.UseValidatedClient();
app.UseRateLimiter();
app.UseRequestBodyLimit(builder.Configuration);
app.MapReverseProxy();
// Unknown API and admin routes get a problem, not the web client's index page; the YARP routes above are more specific.
foreach (var prefix in new[] { "/api", "/admin", "/connect" })
{
    app.Map(prefix + "/{**rest}", () => Problem.Result(Problem.Create(StatusCodes.Status404NotFound, ProblemCodes.NotFound, "No such API route.")))
        .WithOrder(50);
}
app.MapDefaultEndpoints();
app.Run();
