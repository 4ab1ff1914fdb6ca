using Microsoft.Extensions.Diagnostics.HealthChecks;
using Npgsql;

namespace SyncEngine.AppHost.Postgres;

/// <summary>The container's database is ready for the services once their roles exist (<see cref="ServiceRoles"/>).</summary>
internal sealed class ServiceRolesCheck(IResourceWithConnectionString database, ServiceRoles roles) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            var connectionString = await database.GetConnectionStringAsync(cancellationToken)
                ?? throw new InvalidOperationException($"{database.Name} has no connection string yet.");
            await roles.ProvisionAsync(connectionString, cancellationToken);
            return HealthCheckResult.Healthy();
        }
        catch (Exception e) when (e is NpgsqlException or InvalidOperationException or TimeoutException)
        {
            return HealthCheckResult.Unhealthy("The services' PostgreSQL roles are not in place yet.", e);
        }
    }
}
