using System.Net;
using System.Text.Json;
using SyncEngine.Client;
using SyncEngine.Testing;
using Xunit;

namespace SyncEngine.EndToEnd.Tests;

/// <summary>
/// Export and restore through the gateway: an archive restores byte for byte (a restored workspace pulled from 0 gives
/// the same frames), with a new master token for its owner; an id in use, a deleted one, a corrupt or truncated archive
/// are refused and store nothing.
/// </summary>
[Collection(SyncEngineCollection.Name)]
public sealed class ArchiveTests(SyncEngineApp app)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task<byte[]> ExportAsync(string admin, Guid workspaceId)
    {
        using var archive = new MemoryStream();
        await app.Api.ExportWorkspaceAsync(admin, workspaceId, archive, ct: Ct);
        return archive.ToArray();
    }

    private async Task<HttpResponseMessage> RestoreAsync(string? token, string appId, byte[] archive) =>
        await app.Gateway.SendAsync(HttpMethod.Post, $"/admin/apps/{appId}/archives", token, Ct, new ByteArrayContent(archive));

    /// <summary>A workspace with history: changes, a snapshot, a member, a later change.</summary>
    private async Task<(Guid WorkspaceId, Guid Owner, string Master)> BusyWorkspaceAsync()
    {
        var (workspaceId, owner, master) = await app.NewWorkspaceAsync(Ct);
        for (var i = 1; i <= 4; i++)
        {
            await app.Api.PushAsync(master, workspaceId, TestData.Bytes(100 * i, i), Guid.NewGuid(), 2, Ct);
        }

        await app.Api.UploadSnapshotAsync(master, workspaceId, TestData.Bytes(250, 9), covers: 3, Ct);
        await app.NewMemberAsync(workspaceId, master, "read", Ct);
        await app.Api.PushAsync(master, workspaceId, TestData.Bytes(70, 5), Guid.NewGuid(), 2, Ct);
        // Workspace learns of the member from Auth's AccessGranted, a message after the join: wait for it, or the
        // archive (which records Workspace's members) may be written before it arrived.
        var admin = await app.OperatorTokenAsync(Ct);
        await Eventually.Until(t => app.Api.GetWorkspaceAsOperatorAsync(admin, workspaceId, t), w => w.Members.Count == 1, TimeSpan.FromSeconds(10), Ct);
        return (workspaceId, owner, master);
    }

    [Fact]
    public async Task a_restored_workspace_gives_the_same_frames_and_its_owner_a_new_master_token()
    {
        var admin = await app.OperatorTokenAsync(Ct);
        var (original, owner, master) = await BusyWorkspaceAsync();
        var archive = await ExportAsync(admin, original);

        var metadata = JsonDocument.Parse(Archives.Records(archive).Single(r => r.Type == 'M').Payload).RootElement;
        Assert.Equal((1, original, SyncEngineApp.DefaultApp, owner, 5L, 2),
            (metadata.GetProperty("formatVersion").GetInt32(), metadata.GetProperty("workspaceId").GetGuid(), metadata.GetProperty("appId").GetString(),
                metadata.GetProperty("ownerClientId").GetGuid(), metadata.GetProperty("head").GetInt64(), metadata.GetProperty("schemaVersion").GetInt32()));
        Assert.Single(metadata.GetProperty("members").EnumerateArray());
        Assert.DoesNotContain(master, System.Text.Encoding.UTF8.GetString(archive), StringComparison.Ordinal);

        // Into another app, under a free id (the same archive with its id changed, as another deployment would take it as it is).
        var appId = $"restore-{Guid.NewGuid():N}"[..16];
        await app.Api.RegisterAppAsync(admin, new AppSettings(appId, "Restored", MaxSchemaVersion: 2), Ct);
        var copy = Guid.NewGuid();
        RestoredWorkspace? restored = null;
        await Eventually.Until(async t =>
        {
            try
            {
                restored = await app.Api.RestoreWorkspaceAsync(admin, appId, new MemoryStream(Archives.ForWorkspace(archive, copy)), ct: t);
                return true;
            }
            catch (SyncEngineApiException e) when (e.Code == "app-not-found")
            {
                return false; // Sync's directory hears of the new app within a second.
            }
        }, done => done, TimeSpan.FromSeconds(10), Ct);

        Assert.Equal((copy, appId, owner, 5L), (restored!.WorkspaceId, restored.AppId, restored.OwnerClientId, restored.Head));
        var before = await app.Api.PullAsync(master, original, 0, Ct);
        var after = await app.Api.PullAsync(restored.Token, copy, 0, Ct);
        Assert.Equal(before.Head, after.Head);
        Assert.Equal(before.Frames.Select(f => (f.IsSnapshot, f.Seq, Convert.ToHexString(f.Data))), after.Frames.Select(f => (f.IsSnapshot, f.Seq, Convert.ToHexString(f.Data))));
        Assert.Equal(appId, Jwt.Payload(restored.Token).GetProperty("app").GetString());

        var shown = await app.Api.GetWorkspaceAsOperatorAsync(admin, copy, Ct);
        Assert.Equal((appId, owner, 5L, 2), (shown.AppId, shown.OwnerClientId, shown.Head, shown.SchemaVersion));
        Assert.Empty(shown.Members);
        Assert.Equal(6, await app.Api.PushAsync(restored.Token, copy, [1, 2, 3], Guid.NewGuid(), 2, Ct));

        // The restored archive exported again is the same workspace: same records after the metadata.
        var again = await ExportAsync(admin, copy);
        Assert.Equal(Archives.Records(archive).Where(r => r.Type != 'M').Select(r => Convert.ToHexString(r.Payload)),
            Archives.Records(again).Where(r => r.Type != 'M').Select(r => Convert.ToHexString(r.Payload)).Take(Archives.Records(archive).Count - 1));
    }

    [Fact]
    public async Task an_id_in_use_a_deleted_one_and_a_corrupt_or_truncated_archive_are_refused_and_store_nothing()
    {
        var admin = await app.OperatorTokenAsync(Ct);
        var (original, _, master) = await BusyWorkspaceAsync();
        var archive = await ExportAsync(admin, original);
        var app0 = SyncEngineApp.DefaultApp;

        using (var taken = await RestoreAsync(admin, app0, archive))
        {
            await Problems.AssertProblem(taken, HttpStatusCode.Conflict, "workspace-exists");
        }

        Assert.Equal(5, (await app.Api.PullAsync(master, original, 0, Ct)).Head);

        var free = Guid.NewGuid();
        var good = Archives.ForWorkspace(archive, free);
        var corrupt = (byte[])good.Clone();
        corrupt[good.Length / 2] ^= 0xFF;
        foreach (var (name, bytes) in new[]
                 {
                     ("corrupt", corrupt), ("truncated", good[..^10]), ("cut in a record", good[..(good.Length / 2)]),
                     ("not an archive", "hello"u8.ToArray()), ("empty", Array.Empty<byte>()), ("trailing bytes", [.. good, 0]),
                 })
        {
            using var refused = await RestoreAsync(admin, app0, bytes);
            Assert.True(refused.StatusCode == HttpStatusCode.UnprocessableEntity, $"{name}: {refused.StatusCode}");
            await Problems.AssertProblem(refused, HttpStatusCode.UnprocessableEntity, "invalid-document");
        }

        // Nothing of the refused restores was stored: the id is still free, and restores now.
        using (var missing = await app.Gateway.SendAsync(HttpMethod.Get, $"/admin/workspaces/{free}", admin, Ct))
        {
            await Problems.AssertProblem(missing, HttpStatusCode.NotFound, "workspace-not-found");
        }

        using (var restored = await RestoreAsync(admin, app0, good))
        {
            Assert.Equal(HttpStatusCode.Created, restored.StatusCode);
        }

        // Sent again, as after an answer lost on the way: the same answer with a new master token, nothing stored twice.
        var frames = (await app.Api.PullAsync(master, original, 0, Ct)).Frames.Select(f => (f.IsSnapshot, f.Seq, Convert.ToHexString(f.Data)));
        string restoredToken;
        using (var again = await RestoreAsync(admin, app0, good))
        {
            Assert.Equal(HttpStatusCode.Created, again.StatusCode);
            var answer = JsonDocument.Parse(await again.Content.ReadAsStringAsync(Ct)).RootElement;
            Assert.Equal((free, 5L), (answer.GetProperty("workspaceId").GetGuid(), answer.GetProperty("head").GetInt64()));
            restoredToken = answer.GetProperty("token").GetString()!;
            var pulled = await app.Api.PullAsync(restoredToken, free, 0, Ct);
            Assert.Equal(frames, pulled.Frames.Select(f => (f.IsSnapshot, f.Seq, Convert.ToHexString(f.Data))));
        }

        // Sent again broken, over the id it took: read to its end and refused as any corrupt archive, nothing changed.
        using (var brokenAgain = await RestoreAsync(admin, app0, corrupt))
        {
            await Problems.AssertProblem(brokenAgain, HttpStatusCode.UnprocessableEntity, "invalid-document");
        }

        Assert.Equal(frames, (await app.Api.PullAsync(restoredToken, free, 0, Ct)).Frames.Select(f => (f.IsSnapshot, f.Seq, Convert.ToHexString(f.Data))));

        // A deleted id cannot come back; an unknown app, a workspace token and none are refused.
        var (erased, _, _) = await app.NewWorkspaceAsync(Ct);
        await app.Api.EraseWorkspaceAsync(admin, erased, Ct);
        using (var gone = await RestoreAsync(admin, app0, Archives.ForWorkspace(archive, erased)))
        {
            await Problems.AssertProblem(gone, HttpStatusCode.Gone, "workspace-deleted");
        }

        using (var unknownApp = await RestoreAsync(admin, $"nope-{Guid.NewGuid():N}"[..12], Archives.ForWorkspace(archive, Guid.NewGuid())))
        {
            await Problems.AssertProblem(unknownApp, HttpStatusCode.NotFound, "app-not-found");
        }

        using (var workspaceToken = await RestoreAsync(master, app0, Archives.ForWorkspace(archive, Guid.NewGuid())))
        {
            await Problems.AssertProblem(workspaceToken, HttpStatusCode.Unauthorized, "unauthorized");
        }

        using (var exportedByMember = await app.Gateway.SendAsync(HttpMethod.Get, $"/admin/workspaces/{original}/archive", master, Ct))
        {
            await Problems.AssertProblem(exportedByMember, HttpStatusCode.Unauthorized, "unauthorized");
        }

        using (var notThere = await app.Gateway.SendAsync(HttpMethod.Get, $"/admin/workspaces/{Guid.NewGuid()}/archive", admin, Ct))
        {
            await Problems.AssertProblem(notThere, HttpStatusCode.NotFound, "workspace-not-found");
        }
    }
}
