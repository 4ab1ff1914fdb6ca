using System.Runtime.CompilerServices;
using JasperFx.Core.Reflection;
using Wolverine;
using Wolverine.Configuration;
using Wolverine.Postgresql;
using Wolverine.RabbitMQ;

namespace SyncEngine.Backend.Messaging;

/// <summary>
/// The publish and listen rules a service's Program.cs states, the same on either transport: one queue per service,
/// named after it, on whichever transport <see cref="MessagingDefaults.UseSyncEngineDefaults"/> chose.
/// </summary>
public static class ServiceQueues
{
    // Each delivery is acknowledged once the durable inbox has stored it, so the prefetch only bounds how many
    // unacknowledged deliveries one process holds. Wolverine's default for a durable listener is twice the handler
    // parallelism (4 on a 2-core machine); the services' messages are small, so a larger window costs little memory,
    // and it stays small enough that two Sync replicas on the same queue both get work.
    private const ushort PrefetchCount = 32;

    private static readonly ConditionalWeakTable<WolverineOptions, MessagingTransport> Chosen = new();

    internal static void Remember(WolverineOptions opts, MessagingTransport transport) => Chosen.AddOrUpdate(opts, transport);

    /// <summary>Sends the matching messages to the queue of the service <paramref name="service"/>.</summary>
    public static void ToServiceQueue(this IPublishToExpression publishing, string service)
    {
        if (TransportOf(publishing.As<PublishingExpression>().Parent).IsRabbitMq)
        {
            publishing.ToRabbitQueue(service);
        }
        else
        {
            publishing.ToPostgresqlQueue(service);
        }
    }

    /// <summary>
    /// Handles the messages sent to this service's queue, <paramref name="service"/>. With <paramref name="replies"/>, the
    /// replies to this service's requests (<c>InvokeAsync&lt;T&gt;</c>) arrive there too on PostgreSQL, whose transport
    /// has no reply queue of its own; RabbitMQ gives each process a reply queue of its own, so a reply reaches the
    /// instance that asked even with several instances of the service.
    /// </summary>
    public static void ListenToServiceQueue(this WolverineOptions opts, string service, bool replies = false)
    {
        if (TransportOf(opts).IsRabbitMq)
        {
            opts.ListenToRabbitQueue(service).PreFetchCount(PrefetchCount);
        }
        else if (replies)
        {
            opts.ListenToPostgresqlQueue(service).UseForReplies();
        }
        else
        {
            opts.ListenToPostgresqlQueue(service);
        }
    }

    private static MessagingTransport TransportOf(WolverineOptions opts) =>
        Chosen.TryGetValue(opts, out var transport)
            ? transport
            : throw new InvalidOperationException($"Call {nameof(MessagingDefaults.UseSyncEngineDefaults)} before the service's publish and listen rules.");
}
