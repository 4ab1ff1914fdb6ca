using System.Buffers.Binary;
using System.Net;
using SyncEngine.Testing;
using Xunit;

namespace Services.Sync.Tests.Integration;

/// <summary>
/// Loro envelopes are checked without parsing the document (docs/protocol.md, "Loro envelopes"), and a workspace's
/// format is fixed by its first change: a change or snapshot of the other format is 422 invalid-document.
/// </summary>
public sealed class DocumentFormatTests(SyncService sync)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task loro_exports_are_checked_and_a_corrupt_one_is_refused_while_other_formats_pass()
    {
        var (workspaceId, _, master) = await sync.NewWorkspaceAsync();
        var snapshot = LoroExports.Snapshot;
        var update = LoroExports.Update;
        var corrupt = update.ToArray();
        corrupt[^1] ^= 0xFF;
        var truncated = snapshot[..30];

        await sync.Api.PushAsync(master, workspaceId, update, Guid.NewGuid(), 1, Ct);
        await sync.Api.PushAsync(master, workspaceId, LoroExports.Padded(update, 10), Guid.NewGuid(), 1, Ct);
        // Another app's format in a workspace of its own: a workspace's first change fixes its format.
        var (otherWorkspace, _, otherMaster) = await sync.NewWorkspaceAsync();
        await sync.Api.PushAsync(otherMaster, otherWorkspace, "{\"some\":\"other app's format\"}"u8.ToArray(), Guid.NewGuid(), 1, Ct);
        using var corrupted = await sync.PushAsync(workspaceId, master, corrupt);
        using var cut = await sync.PushAsync(workspaceId, master, truncated);
        await sync.Api.UploadSnapshotAsync(master, workspaceId, snapshot, covers: 2, Ct);
        using var snapshotRefused = await sync.UploadAsync(workspaceId, master, corrupt, covers: 2);

        await Problems.AssertProblem(corrupted, HttpStatusCode.UnprocessableEntity, "invalid-document");
        await Problems.AssertProblem(cut, HttpStatusCode.UnprocessableEntity, "invalid-document");
        await Problems.AssertProblem(snapshotRefused, HttpStatusCode.UnprocessableEntity, "invalid-document");
        var pulled = await sync.Api.PullAsync(master, workspaceId, 0, Ct);
        Assert.Equal(2, pulled.Head);
        Assert.Equal(update, pulled.Frames[0].Data);
    }

    [Fact]
    public async Task a_tampered_mode_with_a_recomputed_checksum_and_an_export_on_the_wrong_route_are_invalid_documents()
    {
        var (workspaceId, _, master) = await sync.NewWorkspaceAsync();
        var update = LoroExports.Update;
        var snapshot = LoroExports.Snapshot;
        // The untampered vectors carry the modes loro-crdt 1.17.1 wrote: 4 for the update, 3 for the snapshot.
        Assert.Equal((4, 3), (BinaryPrimitives.ReadUInt16BigEndian(update.AsSpan(20)), BinaryPrimitives.ReadUInt16BigEndian(snapshot.AsSpan(20))));
        Assert.Equal(update, LoroExports.WithMode(update, 4));

        foreach (var mode in new ushort[] { 1, 2, 5, 0x0400 })
        {
            using var change = await sync.PushAsync(workspaceId, master, LoroExports.WithMode(update, mode));
            await Problems.AssertProblem(change, HttpStatusCode.UnprocessableEntity, "invalid-document");
        }

        using var snapshotAsChange = await sync.PushAsync(workspaceId, master, snapshot);
        await Problems.AssertProblem(snapshotAsChange, HttpStatusCode.UnprocessableEntity, "invalid-document");
        Assert.Equal(0, (await sync.Api.PullAsync(master, workspaceId, 0, Ct)).Head);

        // A large first change makes any snapshot covering seq 1 cheaper than it, so a stored snapshot would show in a
        // fresh pull. A Loro update, since a workspace's first change fixes its format and the snapshots are Loro.
        var large = LoroExports.Padded(update, 5000);
        await sync.Api.PushAsync(master, workspaceId, large, Guid.NewGuid(), 1, Ct);
        using var updateAsSnapshot = await sync.UploadAsync(workspaceId, master, update, covers: 1);
        await Problems.AssertProblem(updateAsSnapshot, HttpStatusCode.UnprocessableEntity, "invalid-document");
        using var tamperedSnapshot = await sync.UploadAsync(workspaceId, master, LoroExports.WithMode(snapshot, 1), covers: 1);
        await Problems.AssertProblem(tamperedSnapshot, HttpStatusCode.UnprocessableEntity, "invalid-document");

        var pulled = await sync.Api.PullAsync(master, workspaceId, 0, Ct);
        Assert.Equal(large, Assert.Single(pulled.Frames).Data);
        Assert.False(pulled.Frames[0].IsSnapshot);
        using var snapshotStored = await sync.UploadAsync(workspaceId, master, snapshot, covers: 1);
        Assert.Equal(HttpStatusCode.Created, snapshotStored.StatusCode);
        var fresh = await sync.Api.PullAsync(master, workspaceId, 0, Ct);
        Assert.True(Assert.Single(fresh.Frames).IsSnapshot);
        Assert.Equal(snapshot, fresh.Frames[0].Data);
        using var updateAccepted = await sync.PushAsync(workspaceId, master, update);
        Assert.Equal(HttpStatusCode.Created, updateAccepted.StatusCode);
    }

    [Fact]
    public async Task a_guest_one_byte_snapshot_on_a_loro_workspace_is_refused_and_new_devices_still_get_the_real_changes()
    {
        var (workspaceId, master, changes) = await LoroWorkspaceAsync(3);
        var (_, _, guest) = sync.NewMember(workspaceId, "read_write");

        using var poisoned = await sync.UploadAsync(workspaceId, guest, [0x2A], covers: 3);
        using var opaqueChange = await sync.PushAsync(workspaceId, guest, [0x2A]);

        await Problems.AssertProblem(poisoned, HttpStatusCode.UnprocessableEntity, "invalid-document");
        await Problems.AssertProblem(opaqueChange, HttpStatusCode.UnprocessableEntity, "invalid-document");
        Assert.Empty(await StoredSnapshotsAsync(sync, workspaceId));
        var fresh = await sync.Api.PullAsync(master, workspaceId, 0, Ct);
        Assert.Equal(3, fresh.Head);
        Assert.All(fresh.Frames, f => Assert.False(f.IsSnapshot));
        Assert.Equal(changes, fresh.Frames.Select(f => f.Data));
    }

    [Fact]
    public async Task an_opaque_workspace_refuses_loro_exports()
    {
        var (workspaceId, _, master) = await sync.NewWorkspaceAsync();
        await sync.Api.PushAsync(master, workspaceId, "{\"app\":\"not loro\"}"u8.ToArray(), Guid.NewGuid(), 1, Ct);

        using var loroSnapshot = await sync.UploadAsync(workspaceId, master, LoroExports.Snapshot, covers: 1);
        using var loroChange = await sync.PushAsync(workspaceId, master, LoroExports.Update);

        await Problems.AssertProblem(loroSnapshot, HttpStatusCode.UnprocessableEntity, "invalid-document");
        await Problems.AssertProblem(loroChange, HttpStatusCode.UnprocessableEntity, "invalid-document");
        Assert.Empty(await StoredSnapshotsAsync(sync, workspaceId));
        Assert.Equal(1, (await sync.Api.PullAsync(master, workspaceId, 0, Ct)).Head);
    }

    private async Task<(Guid WorkspaceId, string Master, List<byte[]> Changes)> LoroWorkspaceAsync(int changes)
    {
        var (workspaceId, _, master) = await sync.NewWorkspaceAsync();
        var pushed = Enumerable.Range(0, changes).Select(i => LoroExports.Padded(LoroExports.Update, 100 * i, (byte)i)).ToList();
        foreach (var change in pushed)
        {
            await sync.Api.PushAsync(master, workspaceId, change, Guid.NewGuid(), 1, Ct);
        }

        return (workspaceId, master, pushed);
    }

    internal static async Task<List<(long Covers, byte[] Data)>> StoredSnapshotsAsync(SyncService sync, Guid workspaceId)
    {
        await using var db = await sync.Database.OpenAsync(Ct);
        return await db.QueryAsync("select covers, data from sync.snapshots where workspace_id = $1 order by covers",
            r => (r.GetInt64(0), (byte[])r[1]), Ct, workspaceId);
    }
}
