using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using SyncEngine.Client;
using SyncEngine.Testing;
using Xunit;

namespace SyncEngine.EndToEnd.Tests;

/// <summary>
/// Which pull gets a snapshot (docs/protocol.md, "Pull"): the snapshot and what follows it when the changes it covers
/// are pruned or cost more bytes than it; otherwise deltas only.
/// </summary>
[Collection(SyncEngineCollection.Name)]
public sealed class CompactionTests(SyncEngineApp app)
{
    private const int Attempts = 5;

    /// <summary>PullChanges.SnapshotChunkBytes: how much of a snapshot Sync reads per connection.</summary>
    private const int SnapshotChunkBytes = 1024 * 1024;
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static byte[] Bytes(int length, int seed) => Enumerable.Range(0, length).Select(i => (byte)((i * 31 + seed) % 251)).ToArray();

    private async Task<(Guid WorkspaceId, string Master, List<byte[]> Changes)> WorkspaceWithChangesAsync(int count, int size)
    {
        var (workspaceId, _, master) = await app.NewWorkspaceAsync(Ct);
        var changes = Enumerable.Range(1, count).Select(i => Bytes(size, i)).ToList();
        foreach (var change in changes)
        {
            await app.Api.PushAsync(master, workspaceId, change, Guid.NewGuid(), 1, Ct);
        }

        return (workspaceId, master, changes);
    }

    /// <summary>
    /// Runs <paramref name="attempt"/> until what it read was read within the retention window of the snapshot it
    /// stored, timed from just before the upload: the window starts when the snapshot is stored, so nothing it covers
    /// can have been pruned by then, whatever the machine's load. The test app's window is 3 s; a machine too busy for
    /// that gets a fresh workspace, and a failure after <see cref="Attempts"/> tries.
    /// </summary>
    private static async Task<T> BeforeAnyPruningAsync<T>(Func<Stopwatch, Task<T>> attempt)
    {
        for (var i = 1; ; i++)
        {
            var sinceUpload = new Stopwatch();
            var result = await attempt(sinceUpload);
            if (sinceUpload.Elapsed < SyncEngineApp.CoveredChangeRetention)
            {
                return result;
            }

            Assert.True(i < Attempts, $"{Attempts} attempts each took longer than the retention window ({sinceUpload.Elapsed})");
        }
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
            await app.Api.UploadSnapshotAsync(master, workspaceId, snapshot, covers: 4, Ct);
            var fresh = await app.Api.PullAsync(master, workspaceId, 0, Ct);
            var threeBehind = await app.Api.PullAsync(master, workspaceId, 2, Ct);
            var oneBehind = await app.Api.PullAsync(master, workspaceId, 4, Ct);
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
        var (workspaceId, master, changes) = await WorkspaceWithChangesAsync(3, SyncEngineApp.MaxChangeBytes);
        await app.Api.UploadSnapshotAsync(master, workspaceId, snapshot, covers: 2, Ct);

        // Whether or not seq 1 and 2 are pruned by now, a new device gets the snapshot.
        var fresh = await app.Api.PullAsync(master, workspaceId, 0, Ct);

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
            await app.Api.UploadSnapshotAsync(master, workspaceId, Bytes(2000, 7), covers: 3, Ct);
            var fresh = await app.Api.PullAsync(master, workspaceId, 0, Ct);
            var oneBeforeCovers = await app.Api.PullAsync(master, workspaceId, 2, Ct);
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
            await app.Api.UploadSnapshotAsync(master, workspaceId, snapshot, covers: 2, Ct);
            // One missing change up to the snapshot (213 bytes) is cheaper than it (313): deltas while they are kept.
            var inWindow = await app.Api.PullAsync(master, workspaceId, 1, Ct);
            sinceUpload.Stop();
            return (workspaceId, master, changes, inWindow);
        });
        Assert.Equal([(false, 2L), (false, 3L)], inWindow.Frames.Select(f => (f.IsSnapshot, f.Seq)));

        // Retention is 3 s in the test app and pruning runs every second: wait until seq 1 and 2 are gone.
        var pruned = await Eventually.Until(token => app.Api.PullAsync(master, workspaceId, 1, token),
            p => p.Frames.Count > 0 && p.Frames[0].IsSnapshot, TimeSpan.FromSeconds(20), Ct);

        Assert.True(pruned.Frames[0].IsSnapshot, "covered changes were never pruned");
        Assert.Equal([(true, 2L), (false, 3L)], pruned.Frames.Select(f => (f.IsSnapshot, f.Seq)));
        Assert.Equal(snapshot, pruned.Frames[0].Data);
        Assert.Equal(changes[2], pruned.Frames[1].Data);
        var oneBehind = await app.Api.PullAsync(master, workspaceId, 2, Ct);
        Assert.False(Assert.Single(oneBehind.Frames).IsSnapshot);

        using var beyondHead = new HttpRequestMessage(HttpMethod.Post, $"/api/workspaces/{workspaceId}/snapshots") { Content = new ByteArrayContent(snapshot) };
        beyondHead.Headers.Authorization = new AuthenticationHeaderValue("Bearer", master);
        beyondHead.Headers.TryAddWithoutValidation("Sync-Covers", "4");
        using var refused = await app.Gateway.SendAsync(beyondHead, Ct);
        await Problems.AssertProblem(refused, HttpStatusCode.BadRequest, "invalid-request");
    }
}
