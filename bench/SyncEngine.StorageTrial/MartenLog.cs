using System.Buffers.Binary;
using System.Security.Cryptography;
using JasperFx;
using JasperFx.Events;
using Marten;
using Npgsql;

namespace SyncEngine.StorageTrial;

/// <summary>A change as a Marten event. Its binary serializer writes it to mt_events.bdata as raw bytes.</summary>
public sealed record ChangePushed(Guid ClientId, int SchemaVersion, byte[] Data);

/// <summary>Layout: client id (16 bytes), schema version (int32 LE), then the change's bytes as they came.</summary>
public sealed class ChangePushedSerializer : IEventBinarySerializer
{
    public const int HeaderBytes = 20;

    public byte[] Serialize(Type type, object data)
    {
        var change = (ChangePushed)data;
        var bytes = new byte[HeaderBytes + change.Data.Length];
        change.ClientId.TryWriteBytes(bytes);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(16), change.SchemaVersion);
        change.Data.CopyTo(bytes, HeaderBytes);
        return bytes;
    }

    public object Deserialize(Type type, byte[] data) =>
        new ChangePushed(new Guid(data.AsSpan(0, 16)), BinaryPrimitives.ReadInt32LittleEndian(data.AsSpan(16)), data[HeaderBytes..]);
}

/// <summary>
/// Variant B: one Marten event stream per workspace; the stream version is the seq. AppendExclusive takes the
/// mt_streams row lock (select ... for update) in the session's transaction, which keeps versions gap-free under
/// concurrency like logs.head does. Idempotency: the event id is derived from (workspace, key) and Marten's unique
/// index on mt_events.id (EnableUniqueIndexOnEventId) backs the lookup, so no second row per change is needed.
/// </summary>
public sealed class MartenLog(string connectionString, NpgsqlDataSource db, EventAppendMode mode) : IAppendTarget, IDisposable
{
    private readonly string _schema = mode == EventAppendMode.Rich ? "trial_marten_rich" : "trial_marten_quick";
    private DocumentStore? _store;

    public string Name => $"marten {(mode == EventAppendMode.Rich ? "rich" : "quick")}";

    public bool HasLog => true;

    private DocumentStore Store => _store ?? throw new InvalidOperationException("Not set up.");

    public async Task SetupAsync(CancellationToken ct)
    {
        _store = DocumentStore.For(options =>
        {
            options.Connection(connectionString);
            options.DatabaseSchemaName = _schema;
            options.AutoCreateSchemaObjects = AutoCreate.All;
            options.Events.AppendMode = mode;
            options.Events.EnableUniqueIndexOnEventId = true;
            options.Events.UseMandatoryStreamTypeDeclaration = false;
            options.Events.UseBinarySerializer<ChangePushed>(new ChangePushedSerializer());
        });
        await Store.Storage.ApplyAllConfiguredChangesToDatabaseAsync();
    }

    public async Task<Pushed> PushAsync(Guid workspaceId, Guid key, Guid clientId, byte[] data, CancellationToken ct)
    {
        var eventId = EventId(workspaceId, key);
        while (true)
        {
            await using var session = Store.LightweightSession();
            var change = new Event<ChangePushed>(new ChangePushed(clientId, 0, data)) { Id = eventId };
            try
            {
                await session.Events.AppendExclusive(workspaceId, ct, change);
            }
            catch (Marten.Exceptions.NonExistentStreamException)
            {
                // The workspace's first change starts its stream; a concurrent first push loses on mt_streams' key and retries.
                await using var first = Store.LightweightSession();
                first.Events.StartStream(workspaceId, new Event<ChangePushed>(new ChangePushed(clientId, 0, data)) { Id = eventId });
                first.QueueSqlCommand("select pg_notify(?, ?)", Notify.Channel, Notify.Payload(workspaceId, 1));
                try
                {
                    await first.SaveChangesAsync(ct);
                    return new Pushed(1, false);
                }
                catch (Exception e) when (e is Marten.Exceptions.ExistingStreamIdCollisionException or ExistingStreamIdCollisionException)
                {
                    continue;
                }
            }

            var earlier = await session.Events.LoadAsync(eventId, ct);
            if (earlier is not null)
            {
                return earlier.StreamId == workspaceId && ((ChangePushed)earlier.Data).Data.AsSpan().SequenceEqual(data)
                    ? new Pushed(earlier.Version, true)
                    : throw new IdempotencyConflictException(key);
            }

            // The version read under the row lock; nothing else can move it before this session commits.
            var seq = session.PendingChanges.Streams().Single().ExpectedVersionOnServer!.Value + 1;
            session.QueueSqlCommand("select pg_notify(?, ?)", Notify.Channel, Notify.Payload(workspaceId, seq));
            await session.SaveChangesAsync(ct);
            return new Pushed(seq, false);
        }
    }

    private static Guid EventId(Guid workspaceId, Guid key)
    {
        Span<byte> both = stackalloc byte[32];
        workspaceId.TryWriteBytes(both);
        key.TryWriteBytes(both[16..]);
        return new Guid(SHA256.HashData(both)[..16]);
    }

    public async Task<IReadOnlyList<StoredChange>> ReadBackAsync(IReadOnlyCollection<Guid> workspaceIds, IReadOnlyList<Ack> acks, CancellationToken ct)
    {
        // Straight from the table, not through Marten: proves the bytes sit in bdata as raw bytea, not base64 jsonb.
        var rows = new List<StoredChange>();
        await using var command = db.CreateCommand(
            $"select stream_id, version, id, bdata, data::text from {_schema}.mt_events where stream_id = any($1)");
        command.Parameters.AddWithValue(workspaceIds.ToArray());
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            var workspaceId = reader.GetGuid(0);
            var bdata = reader.IsDBNull(3) ? [] : (byte[])reader[3];
            if (reader.GetString(4) != "{}" || bdata.Length < ChangePushedSerializer.HeaderBytes)
            {
                throw new InvalidOperationException($"Event {reader.GetGuid(2)} is not stored as bytea (data = {reader.GetString(4)[..Math.Min(40, reader.GetString(4).Length)]}).");
            }

            // The key is not stored; the event id derived from it stands in for it in the comparison.
            rows.Add(new StoredChange(workspaceId, reader.GetInt64(1), reader.GetGuid(2), bdata[ChangePushedSerializer.HeaderBytes..]));
        }

        return rows;
    }

    public Guid StoredKey(Guid workspaceId, Guid key) => EventId(workspaceId, key);

    public async Task<string?> ExtraCheckAsync(IReadOnlyCollection<Guid> workspaceIds, IReadOnlyList<Ack> acks, CancellationToken ct)
    {
        // And through Marten's own read path (the binary serializer's Deserialize), stream by stream.
        var expected = acks.ToDictionary(a => (a.WorkspaceId, a.Seq));
        await using var session = Store.QuerySession();
        var events = 0;
        foreach (var workspaceId in workspaceIds)
        {
            foreach (var e in await session.Events.FetchStreamAsync(workspaceId, token: ct))
            {
                events++;
                if (!expected.TryGetValue((workspaceId, e.Version), out var ack) || e.Data is not ChangePushed change
                    || !change.Data.AsSpan().SequenceEqual(ack.Data))
                {
                    return $"FAIL: FetchStreamAsync gave an unexpected event at {workspaceId}/{e.Version}";
                }
            }
        }

        await using var streams = db.CreateCommand(
            $"select count(*) filter (where s.version <> (select count(*) from {_schema}.mt_events e where e.stream_id = s.id)) from {_schema}.mt_streams s where s.id = any($1)");
        streams.Parameters.AddWithValue(workspaceIds.ToArray());
        var wrong = (long)(await streams.ExecuteScalarAsync(ct))!;
        return events == acks.Count && wrong == 0
            ? $"FetchStreamAsync returned all {events} events with exact bytes; mt_streams.version = event count"
            : $"FAIL: FetchStreamAsync returned {events} events for {acks.Count} acks; {wrong} streams with a wrong version";
    }

    public async Task<Storage> MeasureStorageAsync(CancellationToken ct)
    {
        await using var command = db.CreateCommand($$"""
            select count(*), count(bdata), count(*) filter (where data = '{}'::jsonb), avg(pg_column_size(data)),
                   coalesce(string_agg(distinct type, ', ') filter (where bdata is null), '')
            from {{_schema}}.mt_events
            """);
        await using var reader = await command.ExecuteReaderAsync(ct);
        await reader.ReadAsync(ct);
        var others = reader.GetInt64(0) - reader.GetInt64(1);
        var shape = $"bdata bytea set in {reader.GetInt64(1)}/{reader.GetInt64(0)} rows, data = '{{}}' in {reader.GetInt64(2)} (avg {reader.GetDecimal(3):0} bytes)"
            + (others == 0 ? "" : $"; the {others} rows without bdata are Marten's own ({reader.GetString(4)})");
        await reader.DisposeAsync();
        return await Sql.MeasureAsync(db, $"{_schema}.mt_events", "bdata",
            $"+ 1 mt_streams row per workspace; row carries event id (= idempotency), type, timestamps, tenant; {shape}", ct);
    }

    public async Task DropAsync(CancellationToken ct)
    {
        await using var command = db.CreateCommand($"drop schema if exists {_schema} cascade");
        await command.ExecuteNonQueryAsync(ct);
    }

    public void Dispose() => _store?.Dispose();
}
