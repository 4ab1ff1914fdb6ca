namespace SyncEngine.AppHost.Postgres;

/// <summary>
/// A real PostgreSQL server run as a process (the system's binaries or ones fetched from npm), for machines without a
/// container runtime. Its connection string names the application database, which the health check creates.
/// </summary>
public sealed class PostgresProcessResource(string name, string command, string workingDirectory, ParameterResource password, string database)
    : ExecutableResource(name, command, workingDirectory), IResourceWithConnectionString
{
    public const string EndpointName = "tcp";

    public EndpointReference PrimaryEndpoint => new(this, EndpointName);

    public string DatabaseName { get; } = database;

    public ReferenceExpression ConnectionStringExpression => ReferenceExpression.Create(
        $"Host={PrimaryEndpoint.Property(EndpointProperty.Host)};Port={PrimaryEndpoint.Property(EndpointProperty.Port)};Username=postgres;Password={password};Database={DatabaseName}");
}
