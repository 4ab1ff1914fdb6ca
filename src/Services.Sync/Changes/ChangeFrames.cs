using System.Buffers.Binary;

namespace Services.Sync.Changes;

/// <summary>
/// The pull body (docs/protocol.md): frames of [kind: 1 byte][seq: int64 big-endian][length: uint32 big-endian][bytes].
/// Kind 1 is a snapshot (seq = the last change it covers), kind 2 a change. Bytes go out exactly as they were stored.
/// </summary>
public static class ChangeFrames
{
    public const byte Snapshot = 1;
    public const byte Change = 2;
    public const int HeaderLength = 13;

    public static async Task<long> WriteAsync(Stream body, byte kind, long seq, byte[] data, CancellationToken ct)
    {
        await WriteHeaderAsync(body, kind, seq, data.Length, ct);
        await body.WriteAsync(data, ct);
        return HeaderLength + data.Length;
    }

    /// <summary>
    /// A frame's header alone, for a payload the caller then writes in pieces (a snapshot read in chunks): the length
    /// comes first on the wire, so it must be known before the first byte of the payload is read.
    /// </summary>
    public static async Task WriteHeaderAsync(Stream body, byte kind, long seq, int length, CancellationToken ct)
    {
        var header = new byte[HeaderLength];
        header[0] = kind;
        BinaryPrimitives.WriteInt64BigEndian(header.AsSpan(1, 8), seq);
        BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(9, 4), (uint)length);
        await body.WriteAsync(header, ct);
    }
}
