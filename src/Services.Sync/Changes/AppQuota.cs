using Npgsql;

namespace Services.Sync.Changes;

/// <summary>
/// An app's <c>maxAppBytes</c>: the stored bytes of all its workspaces together. Only writes of an app that has the
/// quota pay for it: they take the app's transaction-scoped advisory lock after their workspace's log row lock (always
/// in that order, so two writers never wait on each other crosswise) and sum the app's log rows, which every writer of
/// the app then changes only under the same lock. So concurrent writers on any replica never together pass the limit.
/// The cost is that an app with the quota commits its writes one at a time; apps without it never touch the lock.
/// </summary>
public static class AppQuota
{
    public const string Name = "maxAppBytes";

    /// <summary>
    /// Takes the app's lock and sets <c>v_app_bytes</c> to the app's stored bytes, this workspace's (<c>v_bytes</c>,
    /// counted under its row lock) included: SQL for <c>sync.append_change</c>, whose parameters it names. Each statement
    /// of a volatile function reads a new snapshot, so the sum sees every write that held the lock before.
    /// </summary>
    public const string LockAndCountInFunction =
        $"""
        perform pg_advisory_xact_lock(hashtext('{SyncSchema.Logs}.app_bytes'), hashtext(p_app));
                        -- Planned with its values each time (EXECUTE), unlike the function's other statements (generic plans):
                        -- for an app that is not the default, that plan drops the null branch and uses the app_id index.
                        execute 'select coalesce(sum(l.stored_bytes), 0) from {SyncSchema.Logs} l where l.workspace_id <> $1 and (l.app_id = $2 or ($3 and l.app_id is null))'
                            into v_app_bytes using p_workspace, p_app, p_app_is_default;
                        v_app_bytes := v_bytes + v_app_bytes;
        """;

    /// <summary>The same for a writer with its own transaction: the app's stored bytes, <paramref name="ownBytes"/> included.</summary>
    public static async Task<long> LockAndCountAsync(
        NpgsqlConnection connection, NpgsqlTransaction tx, Guid workspaceId, string appId, bool isDefaultApp, long ownBytes, CancellationToken ct)
    {
        await using (var lockApp = new NpgsqlCommand($"select pg_advisory_xact_lock(hashtext('{SyncSchema.Logs}.app_bytes'), hashtext($1))", connection, tx))
        {
            lockApp.Parameters.AddWithValue(appId);
            await lockApp.ExecuteNonQueryAsync(ct);
        }

        await using var count = new NpgsqlCommand(
            $"select coalesce(sum(stored_bytes), 0)::bigint from {SyncSchema.Logs} where workspace_id <> $1 and (app_id = $2 or ($3 and app_id is null))",
            connection, tx);
        count.Parameters.AddWithValue(workspaceId);
        count.Parameters.AddWithValue(appId);
        count.Parameters.AddWithValue(isDefaultApp);
        return ownBytes + (long)(await count.ExecuteScalarAsync(ct))!;
    }

    /// <summary>Whether a write that adds <paramref name="adding"/> bytes and frees <paramref name="freeing"/> keeps the app within <paramref name="limit"/> (none: no limit).</summary>
    public static bool Allows(long used, long adding, long freeing, long? limit) => limit is not { } max || used - freeing + adding <= max;
}
