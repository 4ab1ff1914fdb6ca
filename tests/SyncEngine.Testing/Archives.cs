using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text.Json.Nodes;

namespace SyncEngine.Testing;

/// <summary>
/// Workspace archives as a third party reads and writes them from docs/protocol.md alone (not Sync's own code): records of
/// [type][length: uint32 BE][payload] after "SEARCHIVE" and a version byte, ended by the SHA-256 of all before it.
/// </summary>
public static class Archives
{
    private const int StartLength = 10;

    /// <summary>The records between the start and the end, as (type, payload).</summary>
    public static List<(char Type, byte[] Payload)> Records(byte[] archive)
    {
        var records = new List<(char, byte[])>();
        var at = StartLength;
        while (at < archive.Length)
        {
            var type = (char)archive[at];
            var length = (int)BinaryPrimitives.ReadUInt32BigEndian(archive.AsSpan(at + 1, 4));
            if (type != 'E')
            {
                records.Add((type, archive.AsSpan(at + 5, length).ToArray()));
            }

            at += 5 + length;
        }

        return records;
    }

    /// <summary>The same archive for another workspace id (its metadata changed, its checksum made anew).</summary>
    public static byte[] ForWorkspace(byte[] archive, Guid workspaceId) =>
        Rewrite(archive, metadata => metadata["workspaceId"] = workspaceId.ToString());

    /// <summary>The archive with its metadata changed by <paramref name="change"/> and a correct checksum.</summary>
    public static byte[] Rewrite(byte[] archive, Action<JsonObject> change)
    {
        using var output = new MemoryStream();
        output.Write(archive, 0, StartLength);
        foreach (var (type, payload) in Records(archive))
        {
            var bytes = payload;
            if (type == 'M')
            {
                var metadata = JsonNode.Parse(payload)!.AsObject();
                change(metadata);
                bytes = System.Text.Encoding.UTF8.GetBytes(metadata.ToJsonString());
            }

            output.WriteByte((byte)type);
            output.Write(Length(bytes.Length));
            output.Write(bytes);
        }

        var checksum = SHA256.HashData(output.ToArray());
        output.WriteByte((byte)'E');
        output.Write(Length(checksum.Length));
        output.Write(checksum);
        return output.ToArray();
    }

    private static byte[] Length(int length)
    {
        var bytes = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(bytes, (uint)length);
        return bytes;
    }
}
