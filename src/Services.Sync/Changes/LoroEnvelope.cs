using System.Buffers.Binary;
using System.IO.Hashing;

namespace Services.Sync.Changes;

/// <summary>
/// Loro's export header, as loro-crdt 1.x writes it (loro's docs/encoding.md; the committed test vectors come from
/// tests/SyncEngine.Testing/LoroVectors/generate.mjs): "loro", 12 zero bytes, a little-endian xxHash32 (seed
/// "LORO") of everything from byte 20 on, then a big-endian encode mode. Checking it costs one hash pass and catches
/// truncated or corrupted uploads without parsing the document; bytes that do not start with the magic are some other
/// app's format and are stored as they are.
/// </summary>
public static class LoroEnvelope
{
    public const int HeaderLength = 22;
    private const uint Seed = 0x4F524F4C;

    /// <summary>
    /// The encode modes loro-crdt 1.x exports. Modes 1 and 2 (OutdatedRle, OutdatedSnapshot) are pre-1.0 formats that
    /// loro itself no longer imports, so they count as corrupt like any other value.
    /// </summary>
    public enum Mode : ushort
    {
        /// <summary><c>export({ mode: "snapshot" })</c> (also shallow snapshots): a whole document.</summary>
        FastSnapshot = 3,

        /// <summary><c>export({ mode: "update" })</c>: the ops since a version.</summary>
        FastUpdates = 4,
    }

    public enum Verdict { NotLoro, Valid, Corrupt, WrongMode }

    /// <summary>
    /// Whether <paramref name="bytes"/> is an intact Loro export of the <paramref name="expected"/> mode: a change
    /// route takes updates, the snapshot route snapshots, so a document uploaded to the wrong route is refused rather
    /// than silently served as something it is not.
    /// </summary>
    public static Verdict Check(ReadOnlySpan<byte> bytes, Mode expected)
    {
        if (bytes.Length < 4 || !bytes[..4].SequenceEqual("loro"u8))
        {
            return Verdict.NotLoro;
        }

        if (bytes.Length < HeaderLength || bytes[4..16].IndexOfAnyExcept((byte)0) >= 0)
        {
            return Verdict.Corrupt;
        }

        if (Checksum(bytes) != BinaryPrimitives.ReadUInt32LittleEndian(bytes[16..20]))
        {
            return Verdict.Corrupt;
        }

        var mode = (Mode)BinaryPrimitives.ReadUInt16BigEndian(bytes[20..22]);
        return mode == expected ? Verdict.Valid : Enum.IsDefined(mode) ? Verdict.WrongMode : Verdict.Corrupt;
    }

    /// <summary>The checksum Loro would write for <paramref name="bytes"/> (from byte 20 on).</summary>
    public static uint Checksum(ReadOnlySpan<byte> bytes) => XxHash32.HashToUInt32(bytes[20..], unchecked((int)Seed));
}
