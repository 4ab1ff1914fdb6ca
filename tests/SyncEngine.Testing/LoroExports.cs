using System.Buffers.Binary;
using System.IO.Hashing;

namespace SyncEngine.Testing;

/// <summary>The exports loro-crdt itself wrote (LoroVectors/generate.mjs), and envelopes derived from them.</summary>
public static class LoroExports
{
    public static byte[] Vector(string name) => File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "LoroVectors", name));

    public static byte[] Update => Vector("update.bin");

    public static byte[] Snapshot => Vector("snapshot.bin");

    /// <summary>The export with another mode and the checksum Loro would compute for it (xxHash32, seed "LORO").</summary>
    public static byte[] WithMode(byte[] export, ushort mode)
    {
        var tampered = export.ToArray();
        BinaryPrimitives.WriteUInt16BigEndian(tampered.AsSpan(20, 2), mode);
        BinaryPrimitives.WriteUInt32LittleEndian(tampered.AsSpan(16, 4), XxHash32.HashToUInt32(tampered.AsSpan(20), 0x4F524F4C));
        return tampered;
    }

    /// <summary>
    /// An intact envelope of the export's mode, <paramref name="extra"/> bytes longer: what the server checks (header and
    /// checksum) holds, so it stands for a larger or different export of the same document.
    /// </summary>
    public static byte[] Padded(byte[] export, int extra, byte seed = 0) =>
        WithMode([.. export, .. Enumerable.Range(0, extra).Select(i => (byte)((i + seed) % 7))], BinaryPrimitives.ReadUInt16BigEndian(export.AsSpan(20, 2)));
}
