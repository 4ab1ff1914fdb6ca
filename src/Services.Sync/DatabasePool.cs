using Npgsql;
using SyncEngine.Backend.Messaging;

namespace Services.Sync;

/// <summary>
/// <c>Sync:DatabasePoolSize</c>: the most connections one replica opens (Npgsql's Maximum Pool Size, 100 when unset).
/// A deployment sizes it against PostgreSQL's max_connections and the number of replicas; the end-to-end tests set it
/// small, to prove that slow readers cannot take every connection (PullChanges).
/// </summary>
public static class DatabasePool
{
    public static void LimitDatabasePool(this IHostApplicationBuilder builder)
    {
        var key = $"ConnectionStrings:{MessagingDefaults.ConnectionName}";
        if (builder.Configuration.GetValue<int?>("Sync:DatabasePoolSize") is { } size && builder.Configuration[key] is { } connectionString)
        {
            builder.Configuration[key] = new NpgsqlConnectionStringBuilder(connectionString) { MaxPoolSize = size }.ConnectionString;
        }
    }
}
