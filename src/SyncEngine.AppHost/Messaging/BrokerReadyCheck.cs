using Microsoft.Extensions.Diagnostics.HealthChecks;
using RabbitMQ.Client;

namespace SyncEngine.AppHost.Messaging;

/// <summary>
/// Healthy once the broker accepts an AMQP connection with the services' credentials. An executable counts as running
/// as soon as the process exists; the Erlang node takes seconds more to listen, and a service that started then would
/// stop at once, unable to reach its broker.
/// </summary>
internal sealed class BrokerReadyCheck(RabbitMqProcessResource broker) : IHealthCheck
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(3);

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            var factory = new ConnectionFactory
            {
                Uri = new Uri((await broker.ConnectionStringExpression.GetValueAsync(cancellationToken))!),
                RequestedConnectionTimeout = Timeout,
                AutomaticRecoveryEnabled = false,
                ClientProvidedName = "syncengine apphost health check",
            };
            await using var connection = await factory.CreateConnectionAsync(cancellationToken);
            await connection.CloseAsync(cancellationToken);
            return HealthCheckResult.Healthy();
        }
        catch (Exception e) when (e is RabbitMQ.Client.Exceptions.BrokerUnreachableException or IOException or TimeoutException
                                       or RabbitMQ.Client.Exceptions.OperationInterruptedException)
        {
            return HealthCheckResult.Unhealthy("RabbitMQ is not accepting connections yet.", e);
        }
    }
}
