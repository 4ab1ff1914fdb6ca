using Services.Sync.Archives;
using Xunit;

namespace Services.Sync.Tests;

/// <summary>The archive format (docs/protocol.md, "Workspace archives"): what is written reads back, anything else is refused.</summary>
public sealed class ArchiveFormatTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private static readonly Guid Client = Guid.NewGuid();
    private static readonly DateTimeOffset At = new(2026, 12, 5, 8, 0, 0, 123, TimeSpan.Zero);

    private static ArchiveMetadata Metadata(long head = 3) => new(
        1, Guid.NewGuid(), "tasks", Guid.NewGuid(), "user-7", At, head, 2, "opaque", 0, At, [new ArchiveMember(Guid.NewGuid(), "read", null, null)]);

    private static async Task<byte[]> WriteAsync(ArchiveMetadata metadata, Func<ArchiveWriter, Task> records)
    {
        using var output = new MemoryStream();
        using var writer = new ArchiveWriter(output);
        await writer.StartAsync(metadata, Ct);
        await records(writer);
        await writer.EndAsync(Ct);
        return output.ToArray();
    }

    private static async Task<List<ArchiveRecord>> ReadAllAsync(byte[] archive, int maxRecordBytes = 1024)
    {
        using var reader = new ArchiveReader(new MemoryStream(archive), maxRecordBytes);
        var metadata = await reader.StartAsync(Ct);
        var records = new List<ArchiveRecord>();
        ArchiveRecord record;
        do
        {
            record = await reader.NextAsync(Ct);
            records.Add(record);
        }
        while (record is not ArchiveRecord.EndRecord);

        return records;
    }

    [Fact]
    public async Task what_is_written_reads_back_exactly()
    {
        var metadata = Metadata();
        var key = Guid.NewGuid();
        var archive = await WriteAsync(metadata, async w =>
        {
            await w.SnapshotAsync(2, Client, At, [9, 9], Ct);
            await w.ChangeAsync(1, Client, key, 2, At, [1], Ct);
            await w.ChangeAsync(3, Client, Guid.NewGuid(), 1, At, [3, 3, 3], Ct);
        });

        using var reader = new ArchiveReader(new MemoryStream(archive), 1024);
        Assert.Equivalent(metadata, await reader.StartAsync(Ct));
        var records = await ReadAllAsync(archive);

        var snapshot = Assert.IsType<ArchiveRecord.SnapshotRecord>(records[0]);
        Assert.Equal((2L, Client, At), (snapshot.Covers, snapshot.ClientId, snapshot.StoredAt));
        Assert.Equal([9, 9], snapshot.Data);
        var change = Assert.IsType<ArchiveRecord.ChangeRecord>(records[1]);
        Assert.Equal((1L, Client, key, 2, At), (change.Seq, change.ClientId, change.IdempotencyKey, change.SchemaVersion, change.StoredAt));
        Assert.Equal([1], change.Data);
        Assert.Equal(3, Assert.IsType<ArchiveRecord.ChangeRecord>(records[2]).Seq);
        Assert.Equal(System.Security.Cryptography.SHA256.HashData(archive.AsSpan(0, archive.Length - 37)), Assert.IsType<ArchiveRecord.EndRecord>(records[3]).Checksum);
    }

    [Fact]
    public async Task a_corrupt_truncated_or_extended_archive_is_refused()
    {
        var archive = await WriteAsync(Metadata(), w => w.ChangeAsync(1, Client, Guid.NewGuid(), 1, At, [1, 2, 3, 4], Ct));
        var flipped = (byte[])archive.Clone();
        flipped[^40] ^= 1;

        foreach (var bad in new[] { flipped, archive[..^1], archive[..20], [.. archive, 0], "SEARCHIVE\u0002"u8.ToArray(), "PK\u0003\u0004"u8.ToArray() })
        {
            await Assert.ThrowsAsync<InvalidArchiveException>(() => ReadAllAsync(bad));
        }
    }

    [Fact]
    public async Task records_a_push_or_upload_would_refuse_and_pruned_changes_no_snapshot_covers_are_refused()
    {
        // Empty, the other format than the workspace's, a version above the workspace's, pruned changes not covered.
        await Assert.ThrowsAsync<InvalidArchiveException>(async () => await ReadAllAsync(await WriteAsync(Metadata(), w =>
            w.ChangeAsync(1, Client, Guid.NewGuid(), 1, At, [], Ct))));
        await Assert.ThrowsAsync<InvalidArchiveException>(async () => await ReadAllAsync(await WriteAsync(Metadata(), w =>
            w.ChangeAsync(1, Client, Guid.NewGuid(), 1, At, "loro\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0"u8.ToArray(), Ct))));
        await Assert.ThrowsAsync<InvalidArchiveException>(async () => await ReadAllAsync(await WriteAsync(Metadata(), w =>
            w.ChangeAsync(1, Client, Guid.NewGuid(), 3, At, [1], Ct))));
        await Assert.ThrowsAsync<InvalidArchiveException>(async () => await ReadAllAsync(await WriteAsync(Metadata() with { PrunedThrough = 2 }, w =>
            w.ChangeAsync(3, Client, Guid.NewGuid(), 1, At, [1], Ct))));
        await Assert.ThrowsAsync<InvalidArchiveException>(async () => await ReadAllAsync(await WriteAsync(Metadata() with { PrunedThrough = 4 }, _ => Task.CompletedTask)));
        await Assert.ThrowsAsync<InvalidArchiveException>(async () => await ReadAllAsync(await WriteAsync(
            Metadata() with { OwnerSubject = new string('s', ArchiveReader.MaxSubjectLength + 1) }, _ => Task.CompletedTask)));

        // Covered by a snapshot, they are fine.
        Assert.Equal(2, (await ReadAllAsync(await WriteAsync(Metadata() with { PrunedThrough = 2 }, async w =>
        {
            await w.SnapshotAsync(2, Client, At, [7], Ct);
            await w.ChangeAsync(3, Client, Guid.NewGuid(), 1, At, [1], Ct);
        }))).Count - 1);
    }

    [Fact]
    public async Task records_out_of_order_beyond_the_head_or_over_the_size_limit_are_refused()
    {
        await Assert.ThrowsAsync<InvalidArchiveException>(async () => await ReadAllAsync(await WriteAsync(Metadata(), async w =>
        {
            await w.ChangeAsync(2, Client, Guid.NewGuid(), 1, At, [1], Ct);
            await w.ChangeAsync(2, Client, Guid.NewGuid(), 1, At, [1], Ct);
        })));
        await Assert.ThrowsAsync<InvalidArchiveException>(async () => await ReadAllAsync(await WriteAsync(Metadata(head: 3), w =>
            w.ChangeAsync(4, Client, Guid.NewGuid(), 1, At, [1], Ct))));
        await Assert.ThrowsAsync<InvalidArchiveException>(async () => await ReadAllAsync(await WriteAsync(Metadata(), async w =>
        {
            await w.ChangeAsync(1, Client, Guid.NewGuid(), 1, At, [1], Ct);
            await w.SnapshotAsync(1, Client, At, [1], Ct);
        })));
        await Assert.ThrowsAsync<InvalidArchiveException>(async () => await ReadAllAsync(await WriteAsync(Metadata(), w =>
            w.ChangeAsync(1, Client, Guid.NewGuid(), 1, At, new byte[2000], Ct)), maxRecordBytes: 1024));
    }
}
