using System.Net.Sockets;
using Npgsql;

namespace SyncEngine.ServiceDefaults.Problems;

/// <summary>
/// Tells a failure to reach PostgreSQL from a fault of the request or of the code: while the database is down or
/// restarting, a request answers 503 <c>unavailable</c> with Retry-After, which a client retries, instead of a 500,
/// which it would report as a bug. Npgsql's pools and Wolverine's agents reconnect by themselves once it is back.
/// </summary>
public static class DatabaseOutage
{
    /// <summary>What a client is told to wait before retrying: about what a PostgreSQL restart or failover takes.</summary>
    public static readonly TimeSpan RetryAfter = TimeSpan.FromSeconds(5);

    public static bool Is(Exception exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            switch (e)
            {
                // Class 57P: the server is shutting down, crashed or not yet accepting connections; class 08: the
                // connection failed; 53300: no connection slot free. None of them is the request's doing.
                case PostgresException postgres when postgres.SqlState.StartsWith("57P", StringComparison.Ordinal)
                    || postgres.SqlState.StartsWith("08", StringComparison.Ordinal)
                    || postgres.SqlState == PostgresErrorCodes.TooManyConnections:
                    return true;
                case PostgresException:
                    return false;
                // Refused, reset or timed-out connections, broken streams: Npgsql marks these transient.
                case NpgsqlException { IsTransient: true }:
                case SocketException:
                    return true;
            }
        }

        return false;
    }
}
