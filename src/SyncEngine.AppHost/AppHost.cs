using SyncEngine.AppHost;
using Microsoft.Extensions.Configuration;
using SyncEngine.AppHost.Messaging;
using SyncEngine.AppHost.Postgres;

var builder = DistributedApplication.CreateBuilder(args);

IResourceBuilder<IResourceWithConnectionString> database;
IResourceBuilder<IResourceWithConnectionString>? broker;
IResourceBuilder<ExecutableResource> web;
try
{
    // Null unless Messaging:Transport=rabbitmq: the queues are in PostgreSQL then. Checked first, so a wrong setting
    // stops the AppHost before a PostgreSQL cluster is prepared.
    broker = builder.AddSyncEngineMessaging();
    database = builder.AddSyncEngineDatabase();
    web = builder.AddWebClient("web");
}
catch (PrerequisiteMissingException missing)
{
    Console.Error.WriteLine($"SyncEngine cannot start: {missing.Message}");
    return 1;
}

var auth = builder.AddSyncEngineService<Projects.Services_Auth>("auth", database).WithMessaging(broker).WithKeyEncryptionKey()
    .WithOperatorSecret(out var operatorCredentials).WithApps();
auth.WithOperatorCommands(operatorCredentials);
// Workspace and Sync validate tokens with Auth's published keys, so they find Auth by service discovery.
var workspace = builder.AddSyncEngineService<Projects.Services_Workspace>("workspace", database).WithMessaging(broker).WithReference(auth).WaitFor(auth)
    .WithSectionEnvironment(builder.Configuration, "Workspace").WithApps(owner: true).WithDemoApps();
var sync = builder.AddSyncEngineService<Projects.Services_Sync>("sync", database).WithMessaging(broker).WithReference(auth).WaitFor(auth)
    // Two replicas from the start, so sequence numbers and live events are proven across replicas, not assumed.
    .WithReplicas(builder.Configuration.GetValue("Sync:Replicas", 2))
    .WithSectionEnvironment(builder.Configuration, "Sync", appHostOnly: "Replicas").WithApps();
if (builder.ExecutionContext.IsRunMode)
{
    // Aspire puts a proxy in front of replicas; each replica tells the gateway its own loopback port instead, so a push
    // crosses one hop (docs/benchmarks.md). A deployment's platform reaches replicas in one hop by itself.
    sync.WithEnvironment("Sync__AdvertiseListenAddress", "true");
}

// The operators' workspace views at Workspace ask Sync what it stores (its /internal/workspaces/stats); Sync's
// archives ask Workspace for the workspace's owner and to record a restored one.
workspace.WithReference(sync);
sync.WithReference(workspace);

// 0: a port Aspire picks (the tests and the load test, which run beside other apps). A port the tests picked themselves
// was free when picked and could be taken before the gateway bound it: one run's browser reached another process there.
var gatewayPort = builder.Configuration.GetValue("Gateway:Port", 8080);
var gateway = builder.AddProject<Projects.Gateway>("gateway")
    // The gateway itself listens on the public port: Aspire's proxy in front of it would be a hop and CPU on every
    // request (docs/benchmarks.md), and one gateway needs no balancing.
    .WithHttpEndpoint(port: gatewayPort == 0 ? null : gatewayPort, name: "http", isProxied: false)
    // The gateway's port is public, so its metrics and health answer on a port of their own that it does not expose.
    .WithHttpEndpoint(name: "management")
    .WithHttpHealthCheck("/health", endpointName: "management")
    .WithEnvironment("OTEL_EXPORTER_OTLP_TIMEOUT", "1000")
    .WithSectionEnvironment(builder.Configuration, "Gateway", appHostOnly: "Port")
    // The gateway checks bearer tokens (to key its rate limits) with the same issuer and key refresh as the services;
    // the key-encryption secret stays Auth's alone.
    .WithSectionEnvironment(builder.Configuration, "Auth", appHostOnly: "KeyEncryptionKey")
    .WithSectionEnvironment(builder.Configuration, "Security")
    // CORS per app: the gateway reads every app's allowedOrigins from Workspace; tokens without an app claim are the default app's.
    .WithApps()
    .WithReference(auth).WithReference(workspace).WithReference(sync).WithReference(web.GetEndpoint("http"))
    .WaitFor(auth).WaitFor(workspace).WaitFor(sync)
    .AnnounceWhenReady(web, builder.Configuration, operatorCredentials);
gateway.WithEnvironment("Management__Port", gateway.GetEndpoint("management").Property(EndpointProperty.TargetPort));
// Auth's discovery document names the public origin, whatever Host a request claims.
auth.WithEnvironment("Auth__PublicOrigin", gateway.GetEndpoint("http"));

builder.Build().Run();
return 0;
