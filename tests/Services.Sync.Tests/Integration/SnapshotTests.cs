using System.Diagnostics;
using System.Net;
using SyncEngine.Testing;
using Xunit;
using static SyncEngine.Testing.TestData;

namespace Services.Sync.Tests.Integration;

/// <summary>
/// Snapshots (docs/protocol.md, "Snapshots" and "Pull"): the same seq replaces, an older one is a conflict, the newest
/// two are kept; a pull gets the snapshot and what follows when the changes it covers are pruned or cost more bytes
/// than it, otherwise deltas only.
/// </summary>
public sealed class SnapshotTests(SyncService sync)
{
    private const int Attempts = 5;

    /// <summary>PullChanges.SnapshotChunkBytes: how much of a snapshot Sync reads per connection.</summary>
    private const int SnapshotChunkBytes = 1024 * 1024;
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task<(Guid WorkspaceId, string Master, List<byte[]> Changes)> WorkspaceWithChangesAsync(int count, int size)
    {
        var (workspaceId, _, master) = await sync.NewWorkspaceAsync();
        var changes = Enumerable.Range(1, count).Select(i => Bytes(size, i)).ToList();
        foreach (var change in changes)
        {
            await sync.Api.PushAsync(master, workspaceId, change, Guid.NewGuid(), 1, Ct);
        }

        return (workspaceId, master, changes);
    }

    /// <summary>
    /// Runs <paramref name="attempt"/> until what it read was read within the retention window of the snapshot it
    /// stored, timed from just before the upload: the window starts when the snapshot is stored, so nothing it covers
    /// can have been pruned by then, whatever the machine's load.
    /// </summary>
    private static async Task<T> BeforeAnyPruningAsync<T>(Func<Stopwatch, Task<T>> attempt)
    {
        for (var i = 1; ; i++)
        {
            var sinceUpload = new Stopwatch();
            var result = await attempt(sinceUpload);
            if (sinceUpload.Elapsed < SyncService.CoveredChangeRetention)
            {
                return result;
            }

            Assert.True(i < Attempts, $"{Attempts} attempts each took longer than the retention window ({sinceUpload.Elapsed})");
        }
    }

    [Fact]
    public async Task a_second_snapshot_for_the_same_seq_replaces_the_first_and_one_older_than_the_newest_is_a_conflict()
    {
        var (workspaceId, _, master) = await sync.NewWorkspaceAsync();
        for (var i = 0; i < 3; i++)
        {
            await sync.Api.PushAsync(master, workspaceId, LoroExports.Padded(LoroExports.Update, 100 * i, (byte)i), Guid.NewGuid(), 1, Ct);
        }

        var (_, _, guest) = sync.NewMember(workspaceId, "read_write");
        var guests = LoroExports.Padded(LoroExports.Snapshot, 1, seed: 1);
        var owners = LoroExports.Padded(LoroExports.Snapshot, 2, seed: 2);

        using var first = await sync.UploadAsync(workspaceId, guest, guests, covers: 2);
        using var second = await sync.UploadAsync(workspaceId, master, owners, covers: 2);
        using var older = await sync.UploadAsync(workspaceId, guest, guests, covers: 1);

        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        Assert.Equal(HttpStatusCode.Created, second.StatusCode);
        await Problems.AssertProblem(older, HttpStatusCode.Conflict, "conflict");
        var stored = Assert.Single(await DocumentFormatTests.StoredSnapshotsAsync(sync, workspaceId));
        Assert.Equal(2, stored.Covers);
        Assert.Equal(owners, stored.Data);
    }

    [Fact]
    public async Task at_most_the_newest_snapshot_and_the_one_before_it_are_kept()
    {
        var (workspaceId, _, master) = await sync.NewWorkspaceAsync();
        for (var i = 0; i < 5; i++)
        {
            await sync.Api.PushAsync(master, workspaceId, LoroExports.Padded(LoroExports.Update, 100 * i, (byte)i), Guid.NewGuid(), 1, Ct);
        }

        var snapshots = Enumerable.Range(1, 5).Select(covers => LoroExports.Padded(LoroExports.Snapshot, covers, (byte)covers)).ToList();
        for (var covers = 1; covers <= 5; covers++)
        {
            using var upload = await sync.UploadAsync(workspaceId, master, snapshots[covers - 1], covers);
            Assert.Equal(HttpStatusCode.Created, upload.StatusCode);
        }

        var stored = await DocumentFormatTests.StoredSnapshotsAsync(sync, workspaceId);
        Assert.Equal([4L, 5L], stored.Select(s => s.Covers));
        Assert.Equal([snapshots[3], snapshots[4]], stored.Select(s => s.Data));
        // The five changes cost more than the newest snapshot: a new device gets that, and nothing else.
        var fresh = Assert.Single((await sync.Api.PullAsync(master, workspaceId, 0, Ct)).Frames);
        Assert.Equal((true, 5L), (fresh.IsSnapshot, fresh.Seq));
        Assert.Equal(snapshots[4], fresh.Data);
    }

    [Fact]
    public async Task a_snapshot_over_the_configured_limit_is_too_large_an_empty_one_is_invalid_and_neither_is_stored()
    {
        // 4 MiB of changes: more than any of the refused snapshots, so a stored one would be served to a fresh pull.
        var (workspaceId, master, changes) = await WorkspaceWithChangesAsync(2, SyncService.MaxChangeBytes);

        using var declared = await sync.UploadAsync(workspaceId, master, new byte[SyncService.MaxSnapshotBytes + 1], covers: 2);
        using var streamed = await sync.UploadAsync(workspaceId, master,
            new StreamContent(new MemoryStream(new byte[SyncService.MaxSnapshotBytes + 1])), covers: 2);
        using var empty = await sync.UploadAsync(workspaceId, master, [], covers: 2);

        var problem = await Problems.AssertProblem(declared, HttpStatusCode.RequestEntityTooLarge, "payload-too-large");
        Assert.Contains(SyncService.MaxSnapshotBytes.ToString(System.Globalization.CultureInfo.InvariantCulture), problem.GetProperty("detail").GetString());
        await Problems.AssertProblem(streamed, HttpStatusCode.RequestEntityTooLarge, "payload-too-large");
        await Problems.AssertProblem(empty, HttpStatusCode.BadRequest, "invalid-request");
        var pulled = await sync.Api.PullAsync(master, workspaceId, 0, Ct);
        Assert.Equal(changes, pulled.Frames.Select(f => f.Data));

        var atLimit = new byte[SyncService.MaxSnapshotBytes];
        using var stored = await sync.UploadAsync(workspaceId, master, atLimit, covers: 2);
        Assert.Equal(HttpStatusCode.Created, stored.StatusCode);
        var snapshot = Assert.Single((await sync.Api.PullAsync(master, workspaceId, 0, Ct)).Frames);
        Assert.True(snapshot.IsSnapshot);
        Assert.Equal(atLimit, snapshot.Data);
    }

    [Fact]
    public async Task a_new_device_gets_the_snapshot_and_what_follows_before_anything_is_pruned_while_a_device_one_behind_gets_one_delta()
    {
        // 4 changes of 200 bytes (852 bytes with framing) against a 300-byte snapshot covering them.
        var snapshot = Bytes(300, 99);
        var (changes, fresh, threeBehind, oneBehind) = await BeforeAnyPruningAsync(async sinceUpload =>
        {
            var (workspaceId, master, changes) = await WorkspaceWithChangesAsync(5, 200);
            sinceUpload.Start();
            await sync.Api.UploadSnapshotAsync(master, workspaceId, snapshot, covers: 4, Ct);
            var fresh = await sync.Api.PullAsync(master, workspaceId, 0, Ct);
            var threeBehind = await sync.Api.PullAsync(master, workspaceId, 2, Ct);
            var oneBehind = await sync.Api.PullAsync(master, workspaceId, 4, Ct);
            sinceUpload.Stop();
            return (changes, fresh, threeBehind, oneBehind);
        });

        Assert.Equal([(true, 4L), (false, 5L)], fresh.Frames.Select(f => (f.IsSnapshot, f.Seq)));
        Assert.Equal(snapshot, fresh.Frames[0].Data);
        Assert.Equal(changes[4], fresh.Frames[1].Data);
        Assert.Equal(13 + 300 + 13 + 200, fresh.BodyBytes);
        // 2 missing changes up to the snapshot (426 bytes) cost more than it (313): the snapshot again.
        Assert.Equal([(true, 4L), (false, 5L)], threeBehind.Frames.Select(f => (f.IsSnapshot, f.Seq)));
        var delta = Assert.Single(oneBehind.Frames);
        Assert.False(delta.IsSnapshot);
        Assert.Equal(changes[4], delta.Data);
        Assert.Equal(13 + 200, oneBehind.BodyBytes);
    }

    [Fact]
    public async Task a_snapshot_larger_than_one_chunk_arrives_byte_for_byte_with_its_declared_length()
    {
        // Two chunks and a few bytes over (PullChanges reads a snapshot in chunks on separate connections), so the seams
        // between chunks and a short last chunk are all crossed; the two changes it covers (4 MiB) cost more than it.
        var snapshot = Bytes(2 * SnapshotChunkBytes + 7, 5);
        var (workspaceId, master, changes) = await WorkspaceWithChangesAsync(3, SyncService.MaxChangeBytes);
        await sync.Api.UploadSnapshotAsync(master, workspaceId, snapshot, covers: 2, Ct);

        // Whether or not seq 1 and 2 are pruned by now, a new device gets the snapshot.
        var fresh = await sync.Api.PullAsync(master, workspaceId, 0, Ct);

        Assert.Equal([(true, 2L), (false, 3L)], fresh.Frames.Select(f => (f.IsSnapshot, f.Seq)));
        Assert.Equal(snapshot, fresh.Frames[0].Data);
        Assert.Equal(changes[2], fresh.Frames[1].Data);
        Assert.Equal(13 + snapshot.Length + 13 + changes[2].Length, fresh.BodyBytes);
    }

    [Fact]
    public async Task missing_changes_cheaper_than_the_snapshot_come_as_deltas_even_for_a_new_device()
    {
        var (changes, fresh, oneBeforeCovers) = await BeforeAnyPruningAsync(async sinceUpload =>
        {
            var (workspaceId, master, changes) = await WorkspaceWithChangesAsync(3, 100);
            sinceUpload.Start();
            // 3 changes of 100 bytes (339 with framing) against a 2000-byte snapshot of all of them.
            await sync.Api.UploadSnapshotAsync(master, workspaceId, Bytes(2000, 7), covers: 3, Ct);
            var fresh = await sync.Api.PullAsync(master, workspaceId, 0, Ct);
            var oneBeforeCovers = await sync.Api.PullAsync(master, workspaceId, 2, Ct);
            sinceUpload.Stop();
            return (changes, fresh, oneBeforeCovers);
        });

        Assert.All(fresh.Frames, f => Assert.False(f.IsSnapshot));
        Assert.Equal(changes, fresh.Frames.Select(f => f.Data));
        Assert.Equal(changes[2], Assert.Single(oneBeforeCovers.Frames).Data);
    }

    [Fact]
    public async Task once_the_window_has_passed_pruned_changes_are_replaced_by_the_snapshot_even_when_deltas_were_cheaper()
    {
        var snapshot = Bytes(300, 99);
        var (workspaceId, master, changes, inWindow) = await BeforeAnyPruningAsync(async sinceUpload =>
        {
            var (workspaceId, master, changes) = await WorkspaceWithChangesAsync(3, 200);
            sinceUpload.Start();
            await sync.Api.UploadSnapshotAsync(master, workspaceId, snapshot, covers: 2, Ct);
            // One missing change up to the snapshot (213 bytes) is cheaper than it (313): deltas while they are kept.
            var inWindow = await sync.Api.PullAsync(master, workspaceId, 1, Ct);
            sinceUpload.Stop();
            return (workspaceId, master, changes, inWindow);
        });
        Assert.Equal([(false, 2L), (false, 3L)], inWindow.Frames.Select(f => (f.IsSnapshot, f.Seq)));

        // Retention is 3 s here and pruning runs every second: wait until seq 1 and 2 are gone. A pull that the pruning
        // overtakes mid-answer is broken off by design (PullChanges: a hole would corrupt the client's document), and a
        // client pulls again, as this probe does.
        var pruned = await Eventually.Until(async token =>
            {
                try
                {
                    return await sync.Api.PullAsync(master, workspaceId, 1, token);
                }
                catch (Exception e) when (e is OperationCanceledException or HttpRequestException or IOException && !token.IsCancellationRequested)
                {
                    return null;
                }
            },
            p => p is { Frames.Count: > 0 } && p.Frames[0].IsSnapshot, TimeSpan.FromSeconds(20), Ct);

        Assert.True(pruned is { Frames.Count: > 0 } && pruned.Frames[0].IsSnapshot, "covered changes were never pruned");
        Assert.Equal([(true, 2L), (false, 3L)], pruned.Frames.Select(f => (f.IsSnapshot, f.Seq)));
        Assert.Equal(snapshot, pruned.Frames[0].Data);
        Assert.Equal(changes[2], pruned.Frames[1].Data);
        var oneBehind = await sync.Api.PullAsync(master, workspaceId, 2, Ct);
        Assert.False(Assert.Single(oneBehind.Frames).IsSnapshot);

        using var beyondHead = await sync.UploadAsync(workspaceId, master, snapshot, covers: 4);
        await Problems.AssertProblem(beyondHead, HttpStatusCode.BadRequest, "invalid-request");
    }
}
