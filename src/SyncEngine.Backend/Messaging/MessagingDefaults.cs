using System.Diagnostics;
using JasperFx;
using JasperFx.CodeGeneration;
using Marten;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using SyncEngine.ServiceDefaults.Problems;
using Wolverine;
using Wolverine.Marten;
using Wolverine.Postgresql.Transport;
using Wolverine.RabbitMQ;

namespace SyncEngine.Backend.Messaging;

/// <summary>
/// How every service stores its data and exchanges messages: one PostgreSQL database (connection <c>syncengine</c>),
/// one schema per service holding Marten's tables and Wolverine's envelope tables (its durable outbox and inbox), and
/// the queues: by default the shared PostgreSQL queue transport (schema <c>wolverine_queues</c>) woken by LISTEN/NOTIFY
/// instead of polling, or RabbitMQ when <c>Messaging:Transport</c> says so.
/// </summary>
public static class MessagingDefaults
{
    public const string ConnectionName = "syncengine";
    public const string TransportSchema = "wolverine_queues";

    /// <summary>
    /// A malformed connection string stops the service at start naming the setting (Npgsql's own message says only
    /// what it could not parse); a missing one Aspire's Npgsql integration refuses, naming it too.
    /// </summary>
    public static void ValidateConnectionString(string? connectionString)
    {
        if (string.IsNullOrEmpty(connectionString))
        {
            return;
        }

        try
        {
            _ = new Npgsql.NpgsqlConnectionStringBuilder(connectionString);
        }
        catch (Exception e) when (e is ArgumentException or FormatException)
        {
            throw new InvalidOperationException(
                $"ConnectionStrings:{ConnectionName} is not a valid PostgreSQL connection string (Host=...;Database=...;Username=...): {e.Message}");
        }
    }

    /// <summary>Marten in <paramref name="schema"/>, on Aspire's NpgsqlDataSource, with Wolverine's outbox in the same schema.</summary>
    public static MartenServiceCollectionExtensions.MartenConfigurationExpression AddServiceStore(
        this IHostApplicationBuilder builder, string schema, Action<StoreOptions>? configure = null)
    {
        ValidateConnectionString(builder.Configuration.GetConnectionString(ConnectionName));
        builder.AddNpgsqlDataSource(ConnectionName, configureDataSourceBuilder: dataSource =>
        {
            ConnectionDefaults.Apply(dataSource.ConnectionStringBuilder);
            // Wolverine polls its queues and node tables in the background; as root spans those would bury the
            // traces of real requests and messages, so only commands inside one are traced.
            dataSource.ConfigureTracing(tracing => tracing
                .ConfigureCommandFilter(_ => Activity.Current is not null)
                .ConfigureBatchFilter(_ => Activity.Current is not null));
        });

        // One per replica, known to the store before it exists: its listener marks erasures this replica commits.
        var erased = new Security.ErasedWorkspaces(builder.Configuration.GetValue("Security:RevocationCacheLifetime", TimeSpan.FromMilliseconds(250)));
        builder.Services.AddSingleton(erased);
        builder.Services.AddSingleton<ClientFault>(StaleWrites.ProblemOf);
        builder.Services.AddSingleton<ClientFault>(Security.ErasedWorkspaceFault.ProblemOf);
        return builder.Services
            .AddMarten(options =>
            {
                options.DatabaseSchemaName = schema;
                options.Events.DatabaseSchemaName = schema;
                options.AutoCreateSchemaObjects = AutoCreate.CreateOrUpdate;
                options.OpenTelemetry.TrackConnections = JasperFx.OpenTelemetry.TrackLevel.Normal;
                // Every service checks revocations. A document type Marten first meets at run time gets its table
                // then, and two replicas meeting it at once raced to create it (a 500, duplicate pg_type, seen in
                // RestartTests); registered here, SchemaSetup creates it before the service takes requests.
                options.RegisterDocumentType<Security.Revocation>();
                // Every service keeps a tombstone of each erased workspace (issue #12).
                options.RegisterDocumentType<Security.ErasedWorkspace>();
                options.Listeners.Add(new Security.ErasureListener(erased));
                configure?.Invoke(options);
            })
            .UseNpgsqlDataSource()
            .UseLightweightSessions()
            .IntegrateWithWolverine(wolverine => wolverine.MessageStorageSchemaName = schema);
    }

    /// <summary>
    /// The Wolverine policy every service runs with, on the transport <c>Messaging:Transport</c> names
    /// (<see cref="MessagingTransport"/>); the service's own publish and listen rules stay in its Program.cs
    /// (<see cref="ServiceQueues"/>). An unusable messaging setting throws here, naming it, before anything starts.
    /// </summary>
    public static WolverineOptions UseSyncEngineDefaults(this WolverineOptions opts, string serviceName, IConfiguration configuration)
    {
        opts.ServiceName = serviceName;

        var chosen = MessagingTransport.From(configuration);
        ServiceQueues.Remember(opts, chosen);
        if (chosen.Broker is { } broker)
        {
            opts.UseRabbitMq(broker)
                // Queues are declared durable (Wolverine's default) when the service starts, as the PostgreSQL queue tables are.
                .AutoProvision()
                // A message that keeps failing goes to the service's own wolverine_dead_letters table, as on PostgreSQL,
                // not to a dead-letter queue in the broker that nobody reads.
                .CustomizeDeadLetterQueueing(new DeadLetterQueue(Wolverine.RabbitMQ.Internal.RabbitMqTransport.DeadLetterQueueName, DeadLetterQueueMode.WolverineStorage));
        }
        else
        {
            var transport = opts.Transports.GetOrCreate<PostgresqlTransport>();
            transport.TransportSchemaName = TransportSchema;
            // The transport's default is to poll every 5 s; notifications bring a hop down to ~10 ms (measured here: p50 10.6 ms, p99 24.5 ms one way).
            transport.EnableQueueNotifications = true;
            transport.AutoProvision = true;
        }

        opts.Policies.AutoApplyTransactions();
        opts.Policies.UseDurableOutboxOnAllSendingEndpoints();
        opts.Policies.UseDurableInboxOnAllListeners();
        opts.RetryWhileDatabaseUnreachable();
        // Within the host's shutdown timeout (Extensions.AddServiceDefaults): a message still in flight stays in the
        // durable inbox and is handled again by the next node, so a stop need not wait Wolverine's default 30 s for it.
        opts.Durability.DrainTimeout = TimeSpan.FromSeconds(2);

#if RUNTIME_CODEGEN
        opts.CodeGeneration.TypeLoadMode = TypeLoadMode.Dynamic;
#else
        opts.CodeGeneration.TypeLoadMode = TypeLoadMode.Static;
#endif
        // Schema objects are created before start, under a lock (SchemaSetup), not by each host racing the others.
        return opts;
    }
}
