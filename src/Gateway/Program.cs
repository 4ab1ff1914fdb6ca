using Gateway;
using SyncEngine.ServiceDefaults.Problems;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.Services.AddValidatedClient(builder.Configuration);
builder.Services.AddClientRateLimiting(builder.Configuration);
builder.Services.AddAppCors(builder.Configuration);
builder.Services.AddSyncReplicaDestinations(builder.Configuration);
// Production serves the web client's built bundle (Gateway:WebRoot); development proxies to its dev server.
var webRoot = WebBundle.Root(builder.Configuration, builder.Environment);
builder.Services.AddReverseProxy()
    .LoadFromMemory(WebBundle.Routes(webRoot), WebBundle.Clusters(webRoot))
    .AddServiceDiscoveryDestinationResolver();

var app = builder.Build();
app.UseSyncEngineProblemDetails();
app.UseValidatedClient();
app.UseAppCors(builder.Configuration);
app.UseRateLimiter();
app.UseRequestBodyLimit(builder.Configuration);
app.MapReverseProxy(proxy =>
{
    proxy.UseSessionAffinity();
    proxy.UseLoadBalancing();
    proxy.UsePassiveHealthChecks();
    proxy.UseConnectFailover();
});
app.MapWebBundle(webRoot);
// Unknown API and admin routes get a problem, not the web client's index page; the YARP routes above are more specific.
foreach (var prefix in new[] { "/api", "/admin", "/connect" })
{
    app.Map(prefix + "/{**rest}", () => Problem.Result(Problem.Create(StatusCodes.Status404NotFound, ProblemCodes.NotFound, "No such API route.")))
        .WithOrder(50);
}
app.MapDefaultEndpoints();
app.Run();
