using System.Buffers.Binary;
using System.IO.Hashing;

namespace Services.Sync.Changes;

/// <summary>
/// Loro's export header (notes/loro-envelope.md): "loro", 12 zero bytes, a little-endian xxHash32 (seed "LORO") of
/// everything from byte 20 on, then a big-endian encode mode. Checking it costs one hash pass and catches truncated or
/// corrupted uploads without parsing the document; bytes that do not start with the magic are some other app's
/// format and are stored as they are.
/// </summary>
public static class LoroEnvelope
{
    private const int HeaderLength = 22;
    private const uint Seed = 0x4F524F4C;

    public enum Verdict { NotLoro, Valid, Corrupt }

    public static Verdict Check(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length < 4 || !bytes[..4].SequenceEqual("loro"u8))
        {
            return Verdict.NotLoro;
        }

        if (bytes.Length < HeaderLength || bytes[4..16].IndexOfAnyExcept((byte)0) >= 0)
        {
            return Verdict.Corrupt;
        }

        var expected = BinaryPrimitives.ReadUInt32LittleEndian(bytes[16..20]);
        return XxHash32.HashToUInt32(bytes[20..], unchecked((int)Seed)) == expected ? Verdict.Valid : Verdict.Corrupt;
    }
}
