using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text.Json;

namespace Services.Sync.Archives;

/// <summary>
/// A workspace archive, version 1 (docs/protocol.md, "Workspace archives"): the magic <c>SEARCHIVE</c> and a version
/// byte, then records of [type: 1 byte][length: uint32 big-endian][payload]: one metadata record (<c>M</c>, JSON), the
/// stored snapshots (<c>S</c>), every retained change in seq order (<c>C</c>), and the end (<c>E</c>: the SHA-256 of
/// every byte before it). Written and read as a stream, one record at a time, so an archive of any size passes
/// through a bounded buffer.
/// </summary>
public static class ArchiveFormat
{
    public static readonly byte[] Magic = "SEARCHIVE"u8.ToArray();
    public const byte Version = 1;
    public const byte Metadata = (byte)'M';
    public const byte Snapshot = (byte)'S';
    public const byte Change = (byte)'C';
    public const byte End = (byte)'E';
    public const string ContentType = "application/vnd.syncengine.archive";

    /// <summary>The largest metadata record a reader takes.</summary>
    public const int MaxMetadataBytes = 1024 * 1024;

    /// <summary>Snapshot: covers (8), client id (16), stored at (8, microseconds since the Unix epoch).</summary>
    public const int SnapshotHeaderLength = 32;

    /// <summary>Change: seq (8), client id (16), idempotency key (16), schema version (4), stored at (8).</summary>
    public const int ChangeHeaderLength = 52;

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static void WriteGuid(Span<byte> target, Guid value) => value.TryWriteBytes(target, bigEndian: true, out _);

    public static Guid ReadGuid(ReadOnlySpan<byte> source) => new(source, bigEndian: true);

    public static long Micros(DateTimeOffset at) => (at.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / 10;

    public static DateTimeOffset FromMicros(long micros) => DateTimeOffset.UnixEpoch.AddTicks(micros * 10);
}

/// <summary>What an archive says of its workspace (the <c>M</c> record). Members are kept for the record; tokens never.</summary>
public sealed record ArchiveMetadata(
    int FormatVersion, Guid WorkspaceId, string AppId, Guid OwnerClientId, string? OwnerSubject, DateTimeOffset CreatedAt,
    long Head, int SchemaVersion, string? Format, long PrunedThrough, DateTimeOffset ExportedAt, IReadOnlyList<ArchiveMember> Members);

public sealed record ArchiveMember(Guid ClientId, string? Scope, DateTimeOffset? ExpiresAt, DateTimeOffset? RevokedAt);

/// <summary>Writes an archive to a stream, hashing as it goes.</summary>
public sealed class ArchiveWriter(Stream output) : IDisposable
{
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);

    public long Written { get; private set; }

    public async Task StartAsync(ArchiveMetadata metadata, CancellationToken ct)
    {
        await WriteAsync([.. ArchiveFormat.Magic, ArchiveFormat.Version], ct);
        var json = JsonSerializer.SerializeToUtf8Bytes(metadata, ArchiveFormat.Json);
        await RecordAsync(ArchiveFormat.Metadata, [], json, ct);
    }

    public Task SnapshotAsync(long covers, Guid clientId, DateTimeOffset storedAt, byte[] data, CancellationToken ct)
    {
        var header = new byte[ArchiveFormat.SnapshotHeaderLength];
        BinaryPrimitives.WriteInt64BigEndian(header.AsSpan(0, 8), covers);
        ArchiveFormat.WriteGuid(header.AsSpan(8, 16), clientId);
        BinaryPrimitives.WriteInt64BigEndian(header.AsSpan(24, 8), ArchiveFormat.Micros(storedAt));
        return RecordAsync(ArchiveFormat.Snapshot, header, data, ct);
    }

    public Task ChangeAsync(long seq, Guid clientId, Guid idempotencyKey, int schemaVersion, DateTimeOffset storedAt, byte[] data, CancellationToken ct)
    {
        var header = new byte[ArchiveFormat.ChangeHeaderLength];
        BinaryPrimitives.WriteInt64BigEndian(header.AsSpan(0, 8), seq);
        ArchiveFormat.WriteGuid(header.AsSpan(8, 16), clientId);
        ArchiveFormat.WriteGuid(header.AsSpan(24, 16), idempotencyKey);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(40, 4), schemaVersion);
        BinaryPrimitives.WriteInt64BigEndian(header.AsSpan(44, 8), ArchiveFormat.Micros(storedAt));
        return RecordAsync(ArchiveFormat.Change, header, data, ct);
    }

    /// <summary>The end record: the checksum of everything before it. Returns the checksum.</summary>
    public async Task<byte[]> EndAsync(CancellationToken ct)
    {
        var checksum = _hash.GetHashAndReset();
        var end = new byte[5 + checksum.Length];
        end[0] = ArchiveFormat.End;
        BinaryPrimitives.WriteUInt32BigEndian(end.AsSpan(1, 4), (uint)checksum.Length);
        checksum.CopyTo(end, 5);
        await output.WriteAsync(end, ct);
        Written += end.Length;
        return checksum;
    }

    private async Task RecordAsync(byte type, byte[] header, byte[] data, CancellationToken ct)
    {
        var prefix = new byte[5];
        prefix[0] = type;
        BinaryPrimitives.WriteUInt32BigEndian(prefix.AsSpan(1, 4), checked((uint)(header.Length + data.Length)));
        await WriteAsync(prefix, ct);
        await WriteAsync(header, ct);
        await WriteAsync(data, ct);
    }

    private async Task WriteAsync(byte[] bytes, CancellationToken ct)
    {
        _hash.AppendData(bytes);
        await output.WriteAsync(bytes, ct);
        Written += bytes.Length;
    }

    public void Dispose() => _hash.Dispose();
}

/// <summary>Why an archive cannot be read: corrupt, truncated, or not an archive of a version this service reads.</summary>
public sealed class InvalidArchiveException(string message) : Exception(message);

/// <summary>One record read from an archive.</summary>
public abstract record ArchiveRecord
{
    private ArchiveRecord() { }

    public sealed record SnapshotRecord(long Covers, Guid ClientId, DateTimeOffset StoredAt, byte[] Data) : ArchiveRecord;

    public sealed record ChangeRecord(long Seq, Guid ClientId, Guid IdempotencyKey, int SchemaVersion, DateTimeOffset StoredAt, byte[] Data) : ArchiveRecord;

    /// <summary>The end, its checksum verified: nothing follows.</summary>
    public sealed record EndRecord(byte[] Checksum) : ArchiveRecord;
}

/// <summary>
/// Reads an archive from a stream one record at a time, hashing as it goes; anything corrupt, truncated, out of order or
/// larger than <paramref name="maxRecordBytes"/> throws <see cref="InvalidArchiveException"/>.
/// </summary>
public sealed class ArchiveReader(Stream input, int maxRecordBytes) : IDisposable
{
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private long _lastSeq;
    private bool _changesBegun;
    private bool _ended;

    public long Read { get; private set; }

    public async Task<ArchiveMetadata> StartAsync(CancellationToken ct)
    {
        var start = await ExactlyAsync(ArchiveFormat.Magic.Length + 1, ct);
        if (!start.AsSpan(0, ArchiveFormat.Magic.Length).SequenceEqual(ArchiveFormat.Magic))
        {
            throw new InvalidArchiveException("This is not a SyncEngine workspace archive (its first bytes are not SEARCHIVE).");
        }

        if (start[^1] != ArchiveFormat.Version)
        {
            throw new InvalidArchiveException($"Archive format version {start[^1]} is not one this deployment reads (it reads {ArchiveFormat.Version}).");
        }

        var prefix = await ExactlyAsync(5, ct);
        var (type, length) = (prefix[0], BinaryPrimitives.ReadUInt32BigEndian(prefix.AsSpan(1, 4)));
        if (type != ArchiveFormat.Metadata || length > ArchiveFormat.MaxMetadataBytes)
        {
            throw new InvalidArchiveException("The archive does not start with its metadata record.");
        }

        ArchiveMetadata? metadata;
        try
        {
            metadata = JsonSerializer.Deserialize<ArchiveMetadata>(await ExactlyAsync((int)length, ct), ArchiveFormat.Json);
        }
        catch (JsonException e)
        {
            throw new InvalidArchiveException($"The archive's metadata is not valid JSON: {e.Message}");
        }

        if (metadata is { FormatVersion: ArchiveFormat.Version } && metadata.WorkspaceId != Guid.Empty && metadata.OwnerClientId != Guid.Empty
            && metadata.Head >= 0 && metadata.SchemaVersion >= 0 && metadata.PrunedThrough >= 0 && metadata.PrunedThrough <= metadata.Head
            && metadata.Members is not null && metadata.OwnerSubject is not { Length: > MaxSubjectLength }
            && metadata.Format is null or Changes.SyncSchema.LoroFormat or Changes.SyncSchema.OpaqueFormat)
        {
            _metadata = metadata;
            return metadata;
        }

        throw new InvalidArchiveException("The archive's metadata lacks a member or has one out of range.");
    }

    /// <summary>An owner subject longer than this is no JWT sub an app would issue.</summary>
    public const int MaxSubjectLength = 256;

    private ArchiveMetadata? _metadata;
    private long _newestCovers;

    /// <summary>
    /// The next record; snapshots come before changes, changes in increasing seq, the end last. Each change and snapshot
    /// is checked as a push or an upload is (not empty, a valid Loro export of the right mode when the workspace's format
    /// is Loro, not one when it is opaque), and the changes pruned before the archive was written must be covered by a
    /// snapshot in it.
    /// </summary>
    public async Task<ArchiveRecord> NextAsync(CancellationToken ct)
    {
        var metadata = _metadata ?? throw new InvalidOperationException("Read the metadata first.");
        if (_ended)
        {
            throw new InvalidOperationException("The archive has ended.");
        }

        // The prefix is hashed only once it is known not to be the end's: the checksum covers everything before the end.
        var prefix = await ExactlyAsync(5, ct, hashed: false);
        var type = prefix[0];
        var length = BinaryPrimitives.ReadUInt32BigEndian(prefix.AsSpan(1, 4)) is var raw && raw <= int.MaxValue
            ? (int)raw
            : throw new InvalidArchiveException("A record's length is out of range.");
        if (type != ArchiveFormat.End)
        {
            _hash.AppendData(prefix);
        }

        var head = metadata.Head;
        switch (type)
        {
            case ArchiveFormat.End when length == 32:
                if (metadata.PrunedThrough > _newestCovers)
                {
                    throw new InvalidArchiveException(
                        $"Changes up to seq {metadata.PrunedThrough} were pruned, and no snapshot in the archive covers them.");
                }

                var checksum = _hash.GetHashAndReset();
                var claimed = await ExactlyAsync(length, ct, hashed: false);
                if (!CryptographicOperations.FixedTimeEquals(claimed, checksum))
                {
                    throw new InvalidArchiveException("The archive's checksum does not match its content: it is corrupt.");
                }

                if (await input.ReadAsync(new byte[1], ct) != 0)
                {
                    throw new InvalidArchiveException("The archive goes on after its end record.");
                }

                _ended = true;
                return new ArchiveRecord.EndRecord(checksum);
            case ArchiveFormat.Snapshot when !_changesBegun && length >= ArchiveFormat.SnapshotHeaderLength && length <= maxRecordBytes:
                var snapshot = await ExactlyAsync(length, ct);
                var covers = BinaryPrimitives.ReadInt64BigEndian(snapshot.AsSpan(0, 8));
                if (covers < 1 || covers > head)
                {
                    throw new InvalidArchiveException($"A snapshot covers seq {covers}, outside the workspace's 1..{head}.");
                }

                _newestCovers = Math.Max(_newestCovers, covers);
                return new ArchiveRecord.SnapshotRecord(covers, ArchiveFormat.ReadGuid(snapshot.AsSpan(8, 16)),
                    ArchiveFormat.FromMicros(BinaryPrimitives.ReadInt64BigEndian(snapshot.AsSpan(24, 8))),
                    Checked(snapshot[ArchiveFormat.SnapshotHeaderLength..], Changes.LoroEnvelope.Mode.FastSnapshot, $"The snapshot covering seq {covers}"));
            case ArchiveFormat.Change when length >= ArchiveFormat.ChangeHeaderLength && length <= maxRecordBytes:
                _changesBegun = true;
                var change = await ExactlyAsync(length, ct);
                var seq = BinaryPrimitives.ReadInt64BigEndian(change.AsSpan(0, 8));
                if (seq <= _lastSeq || seq > head)
                {
                    throw new InvalidArchiveException($"Change seq {seq} is out of order or beyond the workspace's head {head}.");
                }

                _lastSeq = seq;
                var version = BinaryPrimitives.ReadInt32BigEndian(change.AsSpan(40, 4));
                if (version < 0 || version > metadata.SchemaVersion)
                {
                    throw new InvalidArchiveException($"Change seq {seq} has schema version {version}, outside the workspace's 0..{metadata.SchemaVersion}.");
                }

                return new ArchiveRecord.ChangeRecord(seq, ArchiveFormat.ReadGuid(change.AsSpan(8, 16)), ArchiveFormat.ReadGuid(change.AsSpan(24, 16)),
                    version, ArchiveFormat.FromMicros(BinaryPrimitives.ReadInt64BigEndian(change.AsSpan(44, 8))),
                    Checked(change[ArchiveFormat.ChangeHeaderLength..], Changes.LoroEnvelope.Mode.FastUpdates, $"Change seq {seq}"));
            default:
                throw new InvalidArchiveException(
                    $"Unexpected record '{(char)type}' of {length} bytes here (records over {maxRecordBytes} bytes, and snapshots after changes, are refused).");
        }
    }

    /// <summary>
    /// A record's bytes, checked as a push's or an upload's body is (RequestBody.Check): not empty, and of the
    /// workspace's format; a workspace of no format yet takes the first record's.
    /// </summary>
    private byte[] Checked(byte[] data, Changes.LoroEnvelope.Mode mode, string what)
    {
        if (Changes.RequestBody.Check(data, int.MaxValue, mode, "empty").IsInvalid(out var problem, out var body))
        {
            throw new InvalidArchiveException($"{what} is not valid: {problem.Detail}");
        }

        _format ??= _metadata!.Format ?? body.Format;
        return body.Format == _format
            ? data
            : throw new InvalidArchiveException($"{what} is {body.Format}, and the workspace holds {_format} documents.");
    }

    private string? _format;

    private async Task<byte[]> ExactlyAsync(int count, CancellationToken ct, bool hashed = true)
    {
        var buffer = new byte[count];
        try
        {
            await input.ReadExactlyAsync(buffer, ct);
        }
        catch (EndOfStreamException)
        {
            throw new InvalidArchiveException("The archive ends before its end record: it is truncated.");
        }

        if (hashed)
        {
            _hash.AppendData(buffer);
        }

        Read += count;
        return buffer;
    }

    public void Dispose() => _hash.Dispose();
}
