using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using SyncEngine.AppHost.Postgres;

namespace SyncEngine.AppHost.Messaging;

/// <summary>
/// Where the services' queues live, from <c>Messaging:Transport</c>: <c>postgresql</c> (default; nothing to start) or
/// <c>rabbitmq</c>, a broker chosen in PostgreSQL's order: the external one of <c>ConnectionStrings:rabbitmq</c>;
/// Aspire's RabbitMQ container where a container runtime answers; the system's rabbitmq-server run as a process. Every
/// way this can fail throws <see cref="PrerequisiteMissingException"/> while the app model is built.
/// </summary>
public static class MessagingSetup
{
    public const string Setting = "Messaging:Transport";
    public const string ConnectionName = "rabbitmq";
    public static readonly string[] Transports = ["postgresql", "rabbitmq"];

    /// <summary>The broker when RabbitMQ is chosen, otherwise null (the queues stay in PostgreSQL).</summary>
    public static IResourceBuilder<IResourceWithConnectionString>? AddSyncEngineMessaging(this IDistributedApplicationBuilder builder)
    {
        var transport = TransportName(builder.Configuration);
        if (transport == "postgresql")
        {
            return null;
        }

        if (!string.IsNullOrWhiteSpace(builder.Configuration.GetConnectionString(ConnectionName)))
        {
            Say($"using the external broker of ConnectionStrings:{ConnectionName}");
            return builder.AddConnectionString(ConnectionName);
        }

        var runtime = ContainerRuntime.Name(builder.Configuration);
        var noContainer = ContainerRuntime.WhyNot(runtime);
        if (noContainer is null)
        {
            Say($"using the RabbitMQ container ({runtime} answered)");
            builder.Configuration["DcpPublisher:ContainerRuntimeInitializationTimeout"] ??= "00:00:20";
            var container = builder.AddRabbitMQ(ConnectionName);
            if (builder.Configuration["Postgres:DataDirectory"] is null)
            {
                container.WithDataVolume("syncengine-rabbitmq");
            }

            return container;
        }

        var server = RabbitMqNode.FindServer(builder.Configuration["RabbitMq:BinDirectory"])
            ?? throw new PrerequisiteMissingException(
                $"{Setting} is 'rabbitmq' but there is no broker: ConnectionStrings:{ConnectionName} is not set, no container " +
                $"runtime answers ({noContainer}), and no rabbitmq-server was found in {RabbitMqNode.Places(builder.Configuration["RabbitMq:BinDirectory"])}. " +
                $"Install it (`apt-get install rabbitmq-server`), start Docker, or set ConnectionStrings:{ConnectionName} to an AMQP URI.");
        var node = RabbitMqNode.Prepare(server, Path.Combine(DevelopmentData.Root(builder), "rabbitmq"));
        Say($"running the system's rabbitmq-server ({server}) as node {node.NodeName}, data in {node.Root}");
        return builder.AddRabbitMqProcess(ConnectionName, node);
    }

    /// <summary>
    /// Tells a service which transport to use and, for RabbitMQ, hands it the broker's connection string
    /// (<c>ConnectionStrings:rabbitmq</c>) and holds its start until the broker accepts connections.
    /// </summary>
    public static IResourceBuilder<ProjectResource> WithMessaging(
        this IResourceBuilder<ProjectResource> service, IResourceBuilder<IResourceWithConnectionString>? broker)
    {
        if (broker is null)
        {
            return service.WithEnvironment("Messaging__Transport", "postgresql");
        }

        return service.WithEnvironment("Messaging__Transport", "rabbitmq").WithReference(broker, ConnectionName).WaitFor(broker);
    }

    public static string TransportName(IConfiguration configuration)
    {
        var transport = (configuration[Setting] is { Length: > 0 } configured ? configured : "postgresql").Trim().ToLowerInvariant();
        return Transports.Contains(transport)
            ? transport
            : throw new PrerequisiteMissingException($"{Setting} '{transport}' is not one of {string.Join(", ", Transports)}.");
    }

    private static IResourceBuilder<RabbitMqProcessResource> AddRabbitMqProcess(
        this IDistributedApplicationBuilder builder, string name, RabbitMqNode node)
    {
        var password = builder.AddParameter($"{name}-password", node.Password, secret: true);
        var resource = new RabbitMqProcessResource(name, node.Server, node.Root, password.Resource);
        var healthCheck = $"{name}_ready";
        builder.Services.AddHealthChecks().Add(new HealthCheckRegistration(
            healthCheck, _ => new BrokerReadyCheck(resource), failureStatus: null, tags: null));

        var process = builder.AddResource(resource)
            .WithEndpoint(name: RabbitMqProcessResource.EndpointName, scheme: "tcp", env: "RABBITMQ_NODE_PORT")
            .WithHealthCheck(healthCheck)
            .WithIconName("Mail");
        foreach (var (key, value) in node.Environment())
        {
            process.WithEnvironment(key, value);
        }

        return process;
    }

    private static void Say(string message) => Console.WriteLine($"[rabbitmq] {message}");
}
