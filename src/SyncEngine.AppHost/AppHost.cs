using SyncEngine.AppHost;
using Microsoft.Extensions.Configuration;
using SyncEngine.AppHost.Postgres;

var builder = DistributedApplication.CreateBuilder(args);

IResourceBuilder<IResourceWithConnectionString> database;
IResourceBuilder<ExecutableResource> web;
try
{
    database = builder.AddSyncEngineDatabase();
    web = builder.AddWebClient("web");
}
catch (PrerequisiteMissingException missing)
{
    Console.Error.WriteLine($"SyncEngine cannot start: {missing.Message}");
    return 1;
}

var auth = builder.AddSyncEngineService<Projects.Services_Auth>("auth", database).WithKeyEncryptionKey()
    .WithOperatorSecret(out var operatorCredentials).WithApps();
// Workspace and Sync validate tokens with Auth's published keys, so they find Auth by service discovery.
var workspace = builder.AddSyncEngineService<Projects.Services_Workspace>("workspace", database).WithReference(auth).WaitFor(auth)
    .WithSectionEnvironment(builder.Configuration, "Workspace").WithApps(owner: true);
var sync = builder.AddSyncEngineService<Projects.Services_Sync>("sync", database).WithReference(auth).WaitFor(auth)
    // Two replicas from the start, so sequence numbers and live events are proven across replicas, not assumed.
    .WithReplicas(builder.Configuration.GetValue("Sync:Replicas", 2))
    .WithSectionEnvironment(builder.Configuration, "Sync", appHostOnly: "Replicas").WithApps();

var gateway = builder.AddProject<Projects.Gateway>("gateway")
    .WithHttpEndpoint(port: builder.Configuration.GetValue("Gateway:Port", 8080), name: "http")
    // The gateway's port is public, so its metrics and health answer on a port of their own that it does not expose.
    .WithHttpEndpoint(name: "management")
    .WithHttpHealthCheck("/health", endpointName: "management")
    .WithEnvironment("OTEL_EXPORTER_OTLP_TIMEOUT", "1000")
    .WithSectionEnvironment(builder.Configuration, "Gateway", appHostOnly: "Port")
    // The gateway checks bearer tokens (to key its rate limits) with the same issuer and key refresh as the services;
    // the key-encryption secret stays Auth's alone.
    .WithSectionEnvironment(builder.Configuration, "Auth", appHostOnly: "KeyEncryptionKey")
    .WithSectionEnvironment(builder.Configuration, "Security")
    .WithReference(auth).WithReference(workspace).WithReference(sync).WithReference(web.GetEndpoint("http"))
    .WaitFor(auth).WaitFor(workspace).WaitFor(sync)
    .AnnounceWhenReady(web, builder.Configuration, operatorCredentials);
gateway.WithEnvironment("Management__Port", gateway.GetEndpoint("management").Property(EndpointProperty.TargetPort));
// Auth's discovery document names the public origin, whatever Host a request claims.
auth.WithEnvironment("Auth__PublicOrigin", gateway.GetEndpoint("http"));

builder.Build().Run();
return 0;
