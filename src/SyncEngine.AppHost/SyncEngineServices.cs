using SyncEngine.AppHost.Postgres;

namespace SyncEngine.AppHost;

public static class SyncEngineServices
{
    /// <summary>
    /// A backend service: the shared database as its own role, health-gated start, a quick telemetry flush on shutdown, and the token
    /// settings every service shares (<c>Auth:*</c> such as the issuer, <c>Security:*</c>).
    /// </summary>
    public static IResourceBuilder<ProjectResource> AddSyncEngineService<TProject>(
        this IDistributedApplicationBuilder builder, string name, IResourceBuilder<IResourceWithConnectionString> database)
        where TProject : IProjectMetadata, new() =>
        builder.AddProject<TProject>(name)
            .WithHttpEndpoint(name: "http")
            .WithHttpHealthCheck("/health")
            // Its own role's connection (ServiceRoles), ready once the database resource is healthy.
            .WithReference(builder.AddServiceConnection(database, name), PostgresSetup.ConnectionName)
            .WaitFor(database)
            // Otherwise each service waits ~10 s at shutdown trying to reach a dashboard that is already gone.
            .WithEnvironment("OTEL_EXPORTER_OTLP_TIMEOUT", "1000")
            // The key-encryption secret goes to Auth alone (KeyEncryption).
            .WithSectionEnvironment(builder.Configuration, "Auth", appHostOnly: "KeyEncryptionKey")
            .WithSectionEnvironment(builder.Configuration, "Security");

    /// <summary>
    /// Hands a section of the AppHost's configuration (e.g. <c>Sync:MaxChangeBytes</c>, <c>Gateway:RateLimit:*</c>) to a
    /// service as environment, except the keys the AppHost itself acts on.
    /// </summary>
    public static IResourceBuilder<ProjectResource> WithSectionEnvironment(
        this IResourceBuilder<ProjectResource> resource, Microsoft.Extensions.Configuration.IConfiguration configuration, string section,
        params string[] appHostOnly)
    {
        foreach (var (key, value) in Microsoft.Extensions.Configuration.ConfigurationExtensions.AsEnumerable(configuration.GetSection(section)))
        {
            var relative = key.Length > section.Length ? key[(section.Length + 1)..] : "";
            if (value is not null && relative.Length > 0 && !appHostOnly.Contains(relative))
            {
                resource.WithEnvironment(key.Replace(":", "__"), value);
            }
        }

        return resource;
    }
}
