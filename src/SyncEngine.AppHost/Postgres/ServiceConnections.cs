using Microsoft.Extensions.Configuration;

namespace SyncEngine.AppHost.Postgres;

/// <summary>
/// The connection string each service gets as <c>ConnectionStrings:syncengine</c>: its own role's (<see cref="ServiceRoles"/>)
/// on the PostgreSQL the AppHost runs; on an external server, <c>ConnectionStrings:syncengine-{service}</c>, which the
/// operator sets after running service-roles.sql.
/// </summary>
public static class ServiceConnections
{
    public static IResourceBuilder<IResourceWithConnectionString> AddServiceConnection(
        this IDistributedApplicationBuilder builder, IResourceBuilder<IResourceWithConnectionString> database, string service)
    {
        var name = ServiceRoles.ConnectionNameOf(service);
        var roles = database.Resource.Annotations.OfType<ServiceRoles>().SingleOrDefault();
        (EndpointReference Endpoint, string DatabaseName)? server = database.Resource switch
        {
            PostgresProcessResource process => (process.PrimaryEndpoint, process.DatabaseName),
            PostgresDatabaseResource container => (container.Parent.PrimaryEndpoint, container.DatabaseName),
            _ => null,
        };
        if (roles is null || server is not { } at)
        {
            if (!string.IsNullOrWhiteSpace(builder.Configuration.GetConnectionString(name)))
            {
                return builder.AddConnectionString(name);
            }

            Console.WriteLine($"[postgres] {service} connects with ConnectionStrings:{PostgresSetup.ConnectionName}, as every service does: " +
                $"run src/SyncEngine.AppHost/Postgres/service-roles.sql on the server and set ConnectionStrings:{name} " +
                "so that it connects as its own role (src/SyncEngine.AppHost/README.md, PostgreSQL).");
            return database;
        }

        var password = builder.AddParameter($"{name}-password", roles.PasswordOf(service), secret: true);
        return builder.AddConnectionString(name, ReferenceExpression.Create(
            $"Host={at.Endpoint.Property(EndpointProperty.Host)};Port={at.Endpoint.Property(EndpointProperty.Port)};Username={ServiceRoles.RoleOf(service)};Password={password.Resource};Database={at.DatabaseName}"));
    }
}
