using Npgsql;

namespace SyncEngine.Backend.Messaging;

/// <summary>
/// What every service's connections to PostgreSQL get unless its connection string says otherwise.
/// </summary>
public static class ConnectionDefaults
{
    /// <summary>
    /// Statements a connection prepares once it has run them <see cref="NpgsqlConnectionStringBuilder.AutoPrepareMinUsages"/>
    /// times (Npgsql's Max Auto Prepare, off by default). Unprepared, PostgreSQL parsed and planned every push, pull and
    /// queue poll again; prepared, a push cost PostgreSQL 0.20 instead of 0.28 CPU-ms at 32 HTTP clients and pushes rose
    /// 24 % (docs/benchmarks.md). The hot statements of a service number a few dozen; the rest are recycled.
    /// </summary>
    public const int MaxAutoPrepare = 64;

    /// <summary>
    /// Npgsql waits 15 s for a connection by default; a request that cannot get one should answer 503 (DatabaseOutage)
    /// well before a client or proxy gives up on it.
    /// </summary>
    public const int ConnectTimeoutSeconds = 5;

    private static readonly int NpgsqlDefaultConnectTimeout = new NpgsqlConnectionStringBuilder().Timeout;

    /// <summary>Applies the defaults where the connection string left the setting out.</summary>
    public static void Apply(NpgsqlConnectionStringBuilder connection)
    {
        // LISTEN needs a session of its own: queue notifications refuse a multiplexed data source.
        connection.Multiplexing = false;
        if (connection.Timeout == NpgsqlDefaultConnectTimeout)
        {
            connection.Timeout = ConnectTimeoutSeconds;
        }

        // Only when the string does not name it, so "Max Auto Prepare=0" turns it off (docs/deployment.md).
        if (!Names(connection, "Max Auto Prepare"))
        {
            connection.MaxAutoPrepare = MaxAutoPrepare;
        }
    }

    /// <summary>Whether the string sets <paramref name="keyword"/> (Npgsql's builder answers every keyword it knows).</summary>
    private static bool Names(NpgsqlConnectionStringBuilder connection, string keyword) =>
        new System.Data.Common.DbConnectionStringBuilder { ConnectionString = connection.ConnectionString }.ContainsKey(keyword);
}
