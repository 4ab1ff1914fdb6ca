using System.Net;
using SyncEngine.Testing;
using Xunit;

namespace SyncEngine.EndToEnd.Tests;

/// <summary>
/// A workspace's format is fixed by its first change (a Loro export or opaque bytes): snapshots and later changes must
/// match it. A snapshot for the newest snapshot's seq replaces it; an older one is refused; only the newest two are kept.
/// </summary>
[Collection(SyncEngineCollection.Name)]
public sealed class SnapshotPoisoningTests(SyncEngineApp app)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private Task<HttpResponseMessage> UploadAsync(Guid workspaceId, string token, byte[] snapshot, long covers) =>
        app.Gateway.SendAsync(HttpMethod.Post, $"/api/workspaces/{workspaceId}/snapshots", token, Ct,
            new ByteArrayContent(snapshot), ("Sync-Covers", covers.ToString()));

    private Task<HttpResponseMessage> PushAsync(Guid workspaceId, string token, byte[] change) =>
        app.Gateway.SendAsync(HttpMethod.Post, $"/api/workspaces/{workspaceId}/changes", token, Ct,
            new ByteArrayContent(change), ("Idempotency-Key", Guid.NewGuid().ToString()), ("Sync-Schema-Version", "1"));

    private async Task<List<(long Covers, byte[] Data)>> StoredSnapshotsAsync(Guid workspaceId)
    {
        await using var db = await app.OpenDatabaseAsync(Ct);
        return await db.QueryAsync("select covers, data from sync.snapshots where workspace_id = $1 order by covers",
            r => (r.GetInt64(0), (byte[])r[1]), Ct, workspaceId);
    }

    private async Task<(Guid WorkspaceId, string Master, List<byte[]> Changes)> LoroWorkspaceAsync(int changes)
    {
        var (workspaceId, _, master) = await app.NewWorkspaceAsync(Ct);
        var pushed = Enumerable.Range(0, changes).Select(i => LoroExports.Padded(LoroExports.Update, 100 * i, (byte)i)).ToList();
        foreach (var change in pushed)
        {
            await app.Api.PushAsync(master, workspaceId, change, Guid.NewGuid(), 1, Ct);
        }

        return (workspaceId, master, pushed);
    }

    [Fact]
    public async Task a_guest_one_byte_snapshot_on_a_loro_workspace_is_refused_and_new_devices_still_get_the_real_changes()
    {
        var (workspaceId, master, changes) = await LoroWorkspaceAsync(3);
        var (_, guest) = await app.NewMemberAsync(workspaceId, master, "read_write", Ct);

        using var poisoned = await UploadAsync(workspaceId, guest, [0x2A], covers: 3);
        using var opaqueChange = await PushAsync(workspaceId, guest, [0x2A]);

        await Problems.AssertProblem(poisoned, HttpStatusCode.UnprocessableEntity, "invalid-document");
        await Problems.AssertProblem(opaqueChange, HttpStatusCode.UnprocessableEntity, "invalid-document");
        Assert.Empty(await StoredSnapshotsAsync(workspaceId));
        var fresh = await app.Api.PullAsync(master, workspaceId, 0, Ct);
        Assert.Equal(3, fresh.Head);
        Assert.All(fresh.Frames, f => Assert.False(f.IsSnapshot));
        Assert.Equal(changes, fresh.Frames.Select(f => f.Data));
    }

    [Fact]
    public async Task an_opaque_workspace_refuses_loro_exports()
    {
        var (workspaceId, _, master) = await app.NewWorkspaceAsync(Ct);
        await app.Api.PushAsync(master, workspaceId, "{\"app\":\"not loro\"}"u8.ToArray(), Guid.NewGuid(), 1, Ct);

        using var loroSnapshot = await UploadAsync(workspaceId, master, LoroExports.Snapshot, covers: 1);
        using var loroChange = await PushAsync(workspaceId, master, LoroExports.Update);

        await Problems.AssertProblem(loroSnapshot, HttpStatusCode.UnprocessableEntity, "invalid-document");
        await Problems.AssertProblem(loroChange, HttpStatusCode.UnprocessableEntity, "invalid-document");
        Assert.Empty(await StoredSnapshotsAsync(workspaceId));
        Assert.Equal(1, (await app.Api.PullAsync(master, workspaceId, 0, Ct)).Head);
    }

    [Fact]
    public async Task a_second_snapshot_for_the_same_seq_replaces_the_first_and_one_older_than_the_newest_is_a_conflict()
    {
        var (workspaceId, master, _) = await LoroWorkspaceAsync(3);
        var (_, guest) = await app.NewMemberAsync(workspaceId, master, "read_write", Ct);
        var guests = LoroExports.Padded(LoroExports.Snapshot, 1, seed: 1);
        var owners = LoroExports.Padded(LoroExports.Snapshot, 2, seed: 2);

        using var first = await UploadAsync(workspaceId, guest, guests, covers: 2);
        using var second = await UploadAsync(workspaceId, master, owners, covers: 2);
        using var older = await UploadAsync(workspaceId, guest, guests, covers: 1);

        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        Assert.Equal(HttpStatusCode.Created, second.StatusCode);
        await Problems.AssertProblem(older, HttpStatusCode.Conflict, "conflict");
        var stored = Assert.Single(await StoredSnapshotsAsync(workspaceId));
        Assert.Equal(2, stored.Covers);
        Assert.Equal(owners, stored.Data);
    }

    [Fact]
    public async Task at_most_the_newest_snapshot_and_the_one_before_it_are_kept()
    {
        var (workspaceId, master, _) = await LoroWorkspaceAsync(5);
        var snapshots = Enumerable.Range(1, 5).Select(covers => LoroExports.Padded(LoroExports.Snapshot, covers, (byte)covers)).ToList();
        for (var covers = 1; covers <= 5; covers++)
        {
            using var upload = await UploadAsync(workspaceId, master, snapshots[covers - 1], covers);
            Assert.Equal(HttpStatusCode.Created, upload.StatusCode);
        }

        var stored = await StoredSnapshotsAsync(workspaceId);
        Assert.Equal([4L, 5L], stored.Select(s => s.Covers));
        Assert.Equal([snapshots[3], snapshots[4]], stored.Select(s => s.Data));
        // The five changes cost more than the newest snapshot: a new device gets that, and nothing else.
        var fresh = Assert.Single((await app.Api.PullAsync(master, workspaceId, 0, Ct)).Frames);
        Assert.Equal((true, 5L), (fresh.IsSnapshot, fresh.Seq));
        Assert.Equal(snapshots[4], fresh.Data);
    }
}
