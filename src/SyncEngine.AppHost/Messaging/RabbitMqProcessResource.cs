namespace SyncEngine.AppHost.Messaging;

/// <summary>
/// The system's rabbitmq-server run as a process, for machines without a container runtime. Its connection string is
/// an AMQP URI with the node's own user, which the node creates on its first start.
/// </summary>
public sealed class RabbitMqProcessResource(string name, string command, string workingDirectory, ParameterResource password)
    : ExecutableResource(name, command, workingDirectory), IResourceWithConnectionString
{
    public const string EndpointName = "amqp";
    public const string UserName = "syncengine";

    public EndpointReference PrimaryEndpoint => new(this, EndpointName);

    public ReferenceExpression ConnectionStringExpression => ReferenceExpression.Create(
        $"amqp://{UserName}:{password}@{PrimaryEndpoint.Property(EndpointProperty.Host)}:{PrimaryEndpoint.Property(EndpointProperty.Port)}");
}
