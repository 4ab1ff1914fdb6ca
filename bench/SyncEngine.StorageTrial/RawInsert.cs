using Npgsql;

namespace SyncEngine.StorageTrial;

/// <summary>The floor: one 1 KB bytea INSERT per (autocommit) transaction, no log, no lock, no idempotency.</summary>
public sealed class RawInsert(NpgsqlDataSource db) : IAppendTarget
{
    public string Name => "raw insert";

    public bool HasLog => false;

    public async Task SetupAsync(CancellationToken ct)
    {
        await using var command = db.CreateCommand("""
            create schema trial_raw;
            create table trial_raw.inserts (id bigint generated always as identity primary key, data bytea not null);
            """);
        await command.ExecuteNonQueryAsync(ct);
    }

    public async Task<Pushed> PushAsync(Guid workspaceId, Guid key, Guid clientId, byte[] data, CancellationToken ct)
    {
        await using var command = db.CreateCommand("insert into trial_raw.inserts (data) values ($1) returning id");
        command.Parameters.AddWithValue(data);
        return new Pushed((long)(await command.ExecuteScalarAsync(ct))!, false);
    }

    public async Task<IReadOnlyList<StoredChange>> ReadBackAsync(IReadOnlyCollection<Guid> workspaceIds, IReadOnlyList<Ack> acks, CancellationToken ct)
    {
        var rows = new List<StoredChange>();
        await using var command = db.CreateCommand("select id, data from trial_raw.inserts where id between $1 and $2");
        command.Parameters.AddWithValue(acks.Count == 0 ? 0L : acks.Min(a => a.Seq));
        command.Parameters.AddWithValue(acks.Count == 0 ? 0L : acks.Max(a => a.Seq));
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            rows.Add(new StoredChange(Guid.Empty, reader.GetInt64(0), Guid.Empty, (byte[])reader[1]));
        }

        return rows;
    }

    public Guid StoredKey(Guid workspaceId, Guid key) => Guid.Empty;

    public Task<string?> ExtraCheckAsync(IReadOnlyCollection<Guid> workspaceIds, IReadOnlyList<Ack> acks, CancellationToken ct) =>
        Task.FromResult<string?>(null);

    public Task<Storage> MeasureStorageAsync(CancellationToken ct) =>
        Sql.MeasureAsync(db, "trial_raw.inserts", "data", "(no log, no idempotency key, no metadata)", ct);

    public async Task DropAsync(CancellationToken ct)
    {
        await using var command = db.CreateCommand("drop schema if exists trial_raw cascade");
        await command.ExecuteNonQueryAsync(ct);
    }
}

internal static class Sql
{
    public static async Task<Storage> MeasureAsync(NpgsqlDataSource db, string table, string payload, string note, CancellationToken ct)
    {
        await using (var vacuum = db.CreateCommand($"vacuum analyze {table}"))
        {
            await vacuum.ExecuteNonQueryAsync(ct);
        }

        await using var command = db.CreateCommand($"""
            select count(*), pg_total_relation_size('{table}'), pg_relation_size('{table}'),
                   avg(pg_column_size(t.*)), avg(pg_column_size(t.{payload}))
            from {table} t
            """);
        await using var reader = await command.ExecuteReaderAsync(ct);
        await reader.ReadAsync(ct);
        var rows = reader.GetInt64(0);
        return new Storage(rows, (double)reader.GetInt64(1) / rows, (double)reader.GetInt64(2) / rows,
            (double)reader.GetDecimal(3), (double)reader.GetDecimal(4), note);
    }
}
