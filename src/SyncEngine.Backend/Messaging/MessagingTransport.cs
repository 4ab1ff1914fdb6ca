using Microsoft.Extensions.Configuration;
using RabbitMQ.Client;

namespace SyncEngine.Backend.Messaging;

/// <summary>
/// Which broker carries the services' queues, from <c>Messaging:Transport</c>: <c>postgresql</c> (the default: Wolverine's
/// queue tables in <c>wolverine_queues</c>, nothing else to run) or <c>rabbitmq</c> (the broker of
/// <c>ConnectionStrings:rabbitmq</c>, an AMQP URI). Either way each service's durable outbox and inbox stay in its own
/// PostgreSQL schema. A setting that cannot work stops the service at start, naming the setting.
/// </summary>
public sealed record MessagingTransport(string Name, Uri? Broker)
{
    public const string Setting = "Messaging:Transport";
    public const string PostgreSql = "postgresql";
    public const string RabbitMq = "rabbitmq";
    public const string BrokerConnectionName = "rabbitmq";
    public const string BrokerSetting = $"ConnectionStrings:{BrokerConnectionName}";
    public static readonly string[] Names = [PostgreSql, RabbitMq];

    public bool IsRabbitMq => Name == RabbitMq;

    /// <summary>The transport the configuration names; throws <see cref="MessagingSettingsException"/> when it cannot work.</summary>
    public static MessagingTransport From(IConfiguration configuration)
    {
        var name = configuration[Setting] is { } configured && !string.IsNullOrWhiteSpace(configured)
            ? configured.Trim().ToLowerInvariant()
            : PostgreSql;
        if (!Names.Contains(name))
        {
            throw new MessagingSettingsException(
                $"{Setting} '{configuration[Setting]}' is not one of {string.Join(", ", Names)} (unset means {PostgreSql}).");
        }

        if (name == PostgreSql)
        {
            return new MessagingTransport(name, null);
        }

        var connectionString = configuration.GetConnectionString(BrokerConnectionName);
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            throw new MessagingSettingsException(
                $"{Setting} is '{RabbitMq}' but {BrokerSetting} is not set. Set it to the broker's AMQP URI " +
                $"(amqp://user:password@host:5672/vhost; environment variable ConnectionStrings__{BrokerConnectionName}).");
        }

        // The value carries a password: the messages below name the setting and what is wrong, never the value.
        if (!Uri.TryCreate(connectionString.Trim(), UriKind.Absolute, out var broker)
            || broker.Scheme is not ("amqp" or "amqps") || string.IsNullOrEmpty(broker.Host))
        {
            throw new MessagingSettingsException(
                $"{BrokerSetting} is not an AMQP URI: expected amqp://user:password@host:5672/vhost (or amqps://).");
        }

        return new MessagingTransport(name, broker);
    }

    /// <summary>
    /// Opens and closes one connection to the broker, so a broker that is down, unreachable or refuses the credentials
    /// stops the service at start with the setting's name, instead of Wolverine retrying in the background while the
    /// service reports itself healthy. Nothing to do for PostgreSQL, whose connection the schema set-up opens first.
    /// </summary>
    public async Task EnsureBrokerReachableAsync(TimeSpan timeout, CancellationToken ct = default)
    {
        if (Broker is null)
        {
            return;
        }

        var factory = new ConnectionFactory
        {
            Uri = Broker,
            RequestedConnectionTimeout = timeout,
            SocketReadTimeout = timeout,
            SocketWriteTimeout = timeout,
            HandshakeContinuationTimeout = timeout,
            AutomaticRecoveryEnabled = false,
            ClientProvidedName = "syncengine start-up check",
        };
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(timeout);
        try
        {
            await using var connection = await factory.CreateConnectionAsync(deadline.Token);
            await connection.CloseAsync(deadline.Token);
        }
        catch (Exception e) when (e is RabbitMQ.Client.Exceptions.BrokerUnreachableException
                                       or RabbitMQ.Client.Exceptions.OperationInterruptedException
                                       or OperationCanceledException or TimeoutException or IOException
                                       or System.Net.Sockets.SocketException
                                   && !ct.IsCancellationRequested)
        {
            throw new MessagingSettingsException(
                $"{Setting} is '{RabbitMq}' but the broker of {BrokerSetting} ({Broker.Host}:{PortOf(Broker)}) did not accept a " +
                $"connection within {timeout.TotalSeconds:0} s: {Innermost(e).Message}", e);
        }
    }

    private static int PortOf(Uri broker) => broker.IsDefaultPort || broker.Port < 0 ? (broker.Scheme == "amqps" ? 5671 : 5672) : broker.Port;

    private static Exception Innermost(Exception e) => e.InnerException is { } inner ? Innermost(inner) : e;
}

/// <summary>A messaging setting that cannot work; the message names the setting.</summary>
public sealed class MessagingSettingsException(string message, Exception? inner = null) : Exception(message, inner);
