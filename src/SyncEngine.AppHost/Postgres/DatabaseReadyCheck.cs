using Microsoft.Extensions.Diagnostics.HealthChecks;
using Npgsql;

namespace SyncEngine.AppHost.Postgres;

/// <summary>
/// Healthy once the server accepts connections, the application database exists (created here on first start) and the
/// services' roles are in place (<see cref="ServiceRoles"/>), so services that WaitFor the database never see it missing
/// nor fail to log in. An executable counts as running as soon as the process exists, which is too early.
/// </summary>
internal sealed class DatabaseReadyCheck(PostgresProcessResource server, ServiceRoles roles) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            var connectionString = await server.ConnectionStringExpression.GetValueAsync(cancellationToken);
            var maintenance = new NpgsqlConnectionStringBuilder(connectionString) { Database = "postgres", Pooling = false, Timeout = 3 };
            await using var connection = new NpgsqlConnection(maintenance.ConnectionString);
            await connection.OpenAsync(cancellationToken);

            await using var exists = new NpgsqlCommand("select 1 from pg_database where datname = $1", connection);
            exists.Parameters.AddWithValue(server.DatabaseName);
            if (await exists.ExecuteScalarAsync(cancellationToken) is null)
            {
                // Identifiers cannot be parameters; the name is ours, not user input.
                await using var create = new NpgsqlCommand($"create database \"{server.DatabaseName}\"", connection);
                await create.ExecuteNonQueryAsync(cancellationToken);
            }

            await roles.ProvisionAsync(new NpgsqlConnectionStringBuilder(maintenance.ConnectionString) { Database = server.DatabaseName }.ConnectionString,
                cancellationToken);

            return HealthCheckResult.Healthy();
        }
        catch (Exception e) when (e is NpgsqlException or InvalidOperationException or TimeoutException)
        {
            return HealthCheckResult.Unhealthy("PostgreSQL is not accepting connections yet.", e);
        }
    }
}
