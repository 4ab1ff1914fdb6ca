using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using SyncEngine.AppHost.Postgres;

namespace SyncEngine.EndToEnd.Tests;

/// <summary>
/// The app's own throwaway database, for tests that check what is stored, not just what is answered, or run an operator
/// command against it.
/// </summary>
public static class Database
{
    /// <summary>The connection string the services get (`ConnectionStrings:syncengine`), whichever way PostgreSQL runs.</summary>
    public static async Task<string> ConnectionStringAsync(this SyncEngineApp app, CancellationToken ct)
    {
        // The server process itself (local binaries) or the container's database resource, whichever the AppHost chose.
        var database = app.App.Services.GetRequiredService<DistributedApplicationModel>().Resources
            .OfType<IResourceWithConnectionString>()
            .First(r => r is PostgresProcessResource or PostgresDatabaseResource);
        return await database.GetConnectionStringAsync(ct)
            ?? throw new InvalidOperationException($"{database.Name} has no connection string yet.");
    }

    /// <summary>What <paramref name="service"/> connects with: its own role (the AppHost's ServiceRoles), not the superuser.</summary>
    public static async Task<string> ServiceConnectionStringAsync(this SyncEngineApp app, string service, CancellationToken ct)
    {
        var connection = app.App.Services.GetRequiredService<DistributedApplicationModel>().Resources
            .OfType<IResourceWithConnectionString>()
            .Single(r => r.Name == ServiceRoles.ConnectionNameOf(service));
        return await connection.GetConnectionStringAsync(ct)
            ?? throw new InvalidOperationException($"{connection.Name} has no connection string yet.");
    }

    public static async Task<NpgsqlConnection> OpenDatabaseAsync(this SyncEngineApp app, CancellationToken ct)
    {
        var connection = new NpgsqlConnection(await app.ConnectionStringAsync(ct));
        await connection.OpenAsync(ct);
        return connection;
    }
}
