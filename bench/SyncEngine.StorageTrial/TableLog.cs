using System.Security.Cryptography;
using Npgsql;

namespace SyncEngine.StorageTrial;

/// <summary>
/// Variant A: the shape Services.Sync's PushChange had when the trial ran (docs/benchmarks.md, "Storage trial"), without
/// HTTP. The tables copy SyncSchema's logs and changes (same columns, keys and idempotency index); one transaction per
/// push: open/lock the log row, idempotency lookup, schema-version gate, then insert + advance head + NOTIFY in one
/// batch, commit. Sync has since moved to one call of sync.push_change with the NOTIFY outside the transaction.
/// </summary>
public sealed class TableLog(NpgsqlDataSource db) : IAppendTarget
{
    private const int SchemaVersion = 0;

    public string Name => "table";

    public bool HasLog => true;

    public async Task SetupAsync(CancellationToken ct)
    {
        await using var command = db.CreateCommand("""
            create schema trial_table;
            create table trial_table.logs (
                workspace_id uuid primary key,
                head bigint not null default 0,
                schema_version integer not null default 0,
                pruned_through bigint not null default 0,
                opened_at timestamptz not null default now());
            create table trial_table.changes (
                workspace_id uuid not null,
                seq bigint not null,
                idempotency_key uuid not null,
                sha256 bytea not null,
                data bytea not null,
                client_id uuid not null,
                schema_version integer not null,
                created_at timestamptz not null default now(),
                primary key (workspace_id, seq));
            create unique index changes_idempotency_key on trial_table.changes (workspace_id, idempotency_key);
            """);
        await command.ExecuteNonQueryAsync(ct);
    }

    public async Task<Pushed> PushAsync(Guid workspaceId, Guid key, Guid clientId, byte[] data, CancellationToken ct)
    {
        var digest = SHA256.HashData(data);
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);

        await using (var open = new NpgsqlCommand("insert into trial_table.logs (workspace_id) values ($1) on conflict do nothing", connection, tx))
        {
            open.Parameters.AddWithValue(workspaceId);
            await open.ExecuteNonQueryAsync(ct);
        }

        long head;
        int currentVersion;
        await using (var lockLog = new NpgsqlCommand(
            "select head, schema_version from trial_table.logs where workspace_id = $1 for update", connection, tx))
        {
            lockLog.Parameters.AddWithValue(workspaceId);
            await using var reader = await lockLog.ExecuteReaderAsync(ct);
            await reader.ReadAsync(ct);
            head = reader.GetInt64(0);
            currentVersion = reader.GetInt32(1);
        }

        await using (var find = new NpgsqlCommand(
            "select seq, sha256 from trial_table.changes where workspace_id = $1 and idempotency_key = $2", connection, tx))
        {
            find.Parameters.AddWithValue(workspaceId);
            find.Parameters.AddWithValue(key);
            await using var reader = await find.ExecuteReaderAsync(ct);
            if (await reader.ReadAsync(ct))
            {
                return ((byte[])reader[1]).AsSpan().SequenceEqual(digest)
                    ? new Pushed(reader.GetInt64(0), true)
                    : throw new IdempotencyConflictException(key);
            }
        }

        if (SchemaVersion < currentVersion)
        {
            throw new InvalidOperationException("outdated schema version");
        }

        var seq = head + 1;
        await using (var append = new NpgsqlBatch(connection, tx))
        {
            var insert = new NpgsqlBatchCommand("""
                insert into trial_table.changes (workspace_id, seq, idempotency_key, sha256, data, client_id, schema_version)
                values ($1, $2, $3, $4, $5, $6, $7)
                """);
            insert.Parameters.AddWithValue(workspaceId);
            insert.Parameters.AddWithValue(seq);
            insert.Parameters.AddWithValue(key);
            insert.Parameters.AddWithValue(digest);
            insert.Parameters.AddWithValue(data);
            insert.Parameters.AddWithValue(clientId);
            insert.Parameters.AddWithValue(SchemaVersion);
            var advance = new NpgsqlBatchCommand("update trial_table.logs set head = $2, schema_version = $3 where workspace_id = $1");
            advance.Parameters.AddWithValue(workspaceId);
            advance.Parameters.AddWithValue(seq);
            advance.Parameters.AddWithValue(SchemaVersion);
            var notify = new NpgsqlBatchCommand("select pg_notify($1, $2)");
            notify.Parameters.AddWithValue(Notify.Channel);
            notify.Parameters.AddWithValue(Notify.Payload(workspaceId, seq));
            append.BatchCommands.Add(insert);
            append.BatchCommands.Add(advance);
            append.BatchCommands.Add(notify);
            await append.ExecuteNonQueryAsync(ct);
        }

        await tx.CommitAsync(ct);
        return new Pushed(seq, false);
    }

    public async Task<IReadOnlyList<StoredChange>> ReadBackAsync(IReadOnlyCollection<Guid> workspaceIds, IReadOnlyList<Ack> acks, CancellationToken ct)
    {
        var rows = new List<StoredChange>();
        await using var command = db.CreateCommand(
            "select workspace_id, seq, idempotency_key, data from trial_table.changes where workspace_id = any($1)");
        command.Parameters.AddWithValue(workspaceIds.ToArray());
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            rows.Add(new StoredChange(reader.GetGuid(0), reader.GetInt64(1), reader.GetGuid(2), (byte[])reader[3]));
        }

        return rows;
    }

    public Guid StoredKey(Guid workspaceId, Guid key) => key;

    public async Task<string?> ExtraCheckAsync(IReadOnlyCollection<Guid> workspaceIds, IReadOnlyList<Ack> acks, CancellationToken ct)
    {
        await using var command = db.CreateCommand(
            "select count(*) filter (where head <> (select count(*) from trial_table.changes c where c.workspace_id = l.workspace_id)) from trial_table.logs l where workspace_id = any($1)");
        command.Parameters.AddWithValue(workspaceIds.ToArray());
        var wrong = (long)(await command.ExecuteScalarAsync(ct))!;
        return wrong == 0 ? "logs.head = row count in every workspace" : $"FAIL: {wrong} workspaces whose head differs from their row count";
    }

    public Task<Storage> MeasureStorageAsync(CancellationToken ct) =>
        Sql.MeasureAsync(db, "trial_table.changes", "data",
            "+ 1 logs row per workspace; row carries key, sha256, client, schema version, created_at", ct);

    public async Task DropAsync(CancellationToken ct)
    {
        await using var command = db.CreateCommand("drop schema if exists trial_table cascade");
        await command.ExecuteNonQueryAsync(ct);
    }
}

internal static class Notify
{
    // Same channel name and payload format as Services.Sync's HeadNotifications; nobody listens in the trial.
    public const string Channel = "syncengine_sync_head";

    public static string Payload(Guid workspaceId, long seq) => $"{workspaceId:N}:{seq}";
}
