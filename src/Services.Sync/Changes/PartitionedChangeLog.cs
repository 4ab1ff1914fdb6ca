using Npgsql;

namespace Services.Sync.Changes;

/// <summary>
/// <c>sync.changes</c> is hash-partitioned by <c>workspace_id</c> into <see cref="Partitions"/> tables, and every key
/// leads with <c>workspace_id</c> (primary key (workspace_id, seq), unique (workspace_id, idempotency_key)), so every
/// statement of a workspace touches one partition, a partition's indexes stay a sixteenth of the log's, and distributing
/// the table by <c>workspace_id</c> (Citus, docs/deployment.md) needs no schema change. Managed here rather than as a
/// Weasel table, whose migrations do not turn a plain table into a partitioned one: a log from before partitioning is
/// converted at start, in one transaction under the schema lock (renamed, the partitioned table created, the rows
/// copied, the old table dropped), which takes as long as copying the log once.
/// </summary>
public static class PartitionedChangeLog
{
    /// <summary>Fixed: changing it means repartitioning every row. 16 keeps each partition's indexes small well past 10^8 changes.</summary>
    public const int Partitions = 16;

    public static async Task EnsureAsync(NpgsqlConnection connection, ILogger logger, CancellationToken ct) =>
        await EnsureAsync(connection, "sync", logger, ct);

    /// <summary>Creates the partitioned log in <paramref name="schema"/>, or converts a plain one there; does nothing when it is partitioned.</summary>
    public static async Task EnsureAsync(NpgsqlConnection connection, string schema, ILogger logger, CancellationToken ct)
    {
        var kind = await ScalarAsync(connection, null, $"select c.relkind::text from pg_class c join pg_namespace n on n.oid = c.relnamespace where n.nspname = '{schema}' and c.relname = 'changes'", ct);
        if (kind is "p")
        {
            return;
        }

        await using var tx = await connection.BeginTransactionAsync(ct);
        if (kind is "r")
        {
            await ExecuteAsync(connection, tx, $"lock table {schema}.changes in access exclusive mode", ct);
            await ExecuteAsync(connection, tx, $"alter table {schema}.changes rename to changes_unpartitioned", ct);
            // Its indexes keep their names otherwise, which the partitioned table's need.
            await using (var indexes = new NpgsqlCommand(
                $"select indexname from pg_indexes where schemaname = '{schema}' and tablename = 'changes_unpartitioned'", connection, tx))
            {
                var names = new List<string>();
                await using (var reader = await indexes.ExecuteReaderAsync(ct))
                {
                    while (await reader.ReadAsync(ct))
                    {
                        names.Add(reader.GetString(0));
                    }
                }

                foreach (var name in names)
                {
                    await ExecuteAsync(connection, tx, $"alter index {schema}.\"{name}\" rename to \"{(name.Length > 50 ? name[..50] : name)}_unpartitioned\"", ct);
                }
            }
        }

        await ExecuteAsync(connection, tx,
            $"""
            create table {schema}.changes (
                workspace_id uuid not null,
                seq bigint not null,
                idempotency_key uuid not null,
                sha256 bytea not null,
                data bytea not null,
                client_id uuid not null,
                schema_version integer not null,
                created_at timestamptz not null default now(),
                constraint pkey_changes_workspace_id_seq primary key (workspace_id, seq)
            ) partition by hash (workspace_id)
            """, ct);
        for (var i = 0; i < Partitions; i++)
        {
            await ExecuteAsync(connection, tx,
                $"create table {schema}.changes_p{i:00} partition of {schema}.changes for values with (modulus {Partitions}, remainder {i})", ct);
        }

        await ExecuteAsync(connection, tx, $"create unique index changes_idempotency_key on {schema}.changes (workspace_id, idempotency_key)", ct);
        if (kind is "r")
        {
            var copied = await ExecuteAsync(connection, tx,
                $"insert into {schema}.changes (workspace_id, seq, idempotency_key, sha256, data, client_id, schema_version, created_at) " +
                $"select workspace_id, seq, idempotency_key, sha256, data, client_id, schema_version, created_at from {schema}.changes_unpartitioned", ct);
            await ExecuteAsync(connection, tx, $"drop table {schema}.changes_unpartitioned", ct);
            logger.LogInformation("Partitioned the change log: {Changes} changes moved into {Partitions} partitions", copied, Partitions);
        }

        await tx.CommitAsync(ct);
    }

    private static async Task<int> ExecuteAsync(NpgsqlConnection connection, NpgsqlTransaction tx, string sql, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(sql, connection, tx);
        return await command.ExecuteNonQueryAsync(ct);
    }

    private static async Task<string?> ScalarAsync(NpgsqlConnection connection, NpgsqlTransaction? tx, string sql, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(sql, connection, tx);
        return await command.ExecuteScalarAsync(ct) as string;
    }
}
