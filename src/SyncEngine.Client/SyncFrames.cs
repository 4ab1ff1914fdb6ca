using System.Buffers.Binary;

namespace SyncEngine.Client;

/// <summary>One frame of a pull (docs/protocol.md): a snapshot covering changes up to <see cref="Seq"/>, or one change.</summary>
public sealed record SyncFrame(bool IsSnapshot, long Seq, byte[] Data);

/// <summary>The answer to a pull: the workspace's head and schema version, and what the caller lacked.</summary>
public sealed record PullResult(long Head, int SchemaVersion, IReadOnlyList<SyncFrame> Frames, long BodyBytes);

/// <summary>Parses the pull framing: [kind: 1][seq: int64 BE][length: uint32 BE][bytes], repeated.</summary>
public static class SyncFrameReader
{
    /// <summary>Splits a pull body into frames; throws <see cref="FormatException"/> on a truncated or unknown frame.</summary>
    public static IReadOnlyList<SyncFrame> Read(ReadOnlySpan<byte> body)
    {
        var frames = new List<SyncFrame>();
        while (body.Length > 0)
        {
            if (body.Length < 13 || body[0] is not (1 or 2))
            {
                throw new FormatException("Truncated or unknown frame in a pull body.");
            }

            var seq = BinaryPrimitives.ReadInt64BigEndian(body[1..9]);
            var length = (int)BinaryPrimitives.ReadUInt32BigEndian(body[9..13]);
            if (body.Length < 13 + length)
            {
                throw new FormatException("A frame is longer than the pull body.");
            }

            frames.Add(new SyncFrame(body[0] == 1, seq, body.Slice(13, length).ToArray()));
            body = body[(13 + length)..];
        }

        return frames;
    }
}
