using Npgsql;

namespace Services.Sync.Changes;

/// <summary>
/// A workspace's log row: every writer of the log (push, snapshot, prune) takes its lock first, which is what keeps
/// sequence numbers gap-free and the stored-bytes count exact across replicas.
/// </summary>
public static class WorkspaceLog
{
    /// <summary>The log row, locked until commit (SyncSchema.LockFunctionSql): head, schema version, format and stored bytes.</summary>
    public static async Task<(long Head, int SchemaVersion, string? Format, long StoredBytes)> LockAsync(
        NpgsqlConnection connection, NpgsqlTransaction tx, Guid workspaceId, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(
            $"select log_head, log_version, log_format, log_bytes from {SyncSchema.LockFunction}($1)", connection, tx);
        command.Parameters.AddWithValue(workspaceId);
        await using var reader = await command.ExecuteReaderAsync(ct);
        await reader.ReadAsync(ct);
        return (reader.GetInt64(0), reader.GetInt32(1), reader.IsDBNull(2) ? null : reader.GetString(2), reader.GetInt64(3));
    }
}
