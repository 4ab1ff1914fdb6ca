using System.Net;
using SyncEngine.Contracts.Workspaces;
using SyncEngine.Testing;
using Xunit;

namespace Services.Sync.Tests.Integration;

/// <summary>Sync's part of an erasure (WorkspaceErased): rows gone, tombstone kept, live streams told, the id 410.</summary>
public sealed class ErasureTests(SyncService sync)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task workspace_erased_deletes_changes_snapshots_and_log_ends_live_streams_and_refuses_the_id()
    {
        var (workspaceId, owner, master) = await sync.NewWorkspaceAsync();
        for (var i = 1; i <= 3; i++)
        {
            await sync.Api.PushAsync(master, workspaceId, [(byte)i], Guid.NewGuid(), 1, Ct);
        }

        await sync.Api.UploadSnapshotAsync(master, workspaceId, [1, 2], 2, Ct);
        await using var stream = await EventStream.OpenAsync(sync.Http, workspaceId, master, null, Ct);
        Assert.NotNull(await stream.NextMatchingAsync(m => m.Event == "head", TimeSpan.FromSeconds(10), Ct));

        await sync.InvokeAsync(new WorkspaceErased(workspaceId, $"owner:{owner}", DateTimeOffset.UtcNow));

        Assert.Equal("deleted", (await stream.NextMatchingAsync(m => m.Event is "deleted" or "revoked", TimeSpan.FromSeconds(10), Ct))?.Event);
        await using var db = await sync.Database.OpenAsync(Ct);
        foreach (var table in new[] { "sync.changes", "sync.snapshots", "sync.logs" })
        {
            Assert.Equal(0L, (await db.QueryAsync($"select count(*) from {table} where workspace_id = $1", r => r.GetInt64(0), Ct, workspaceId)).Single());
        }

        Assert.Equal(1L, (await db.QueryAsync("select count(*) from sync.mt_doc_erasedworkspace where id = $1", r => r.GetInt64(0), Ct, workspaceId)).Single());
        using (var push = await sync.Http.PushChangeAsync(workspaceId, master, new ByteArrayContent([9]), Ct))
        {
            await Problems.AssertProblem(push, HttpStatusCode.Gone, "workspace-deleted");
        }

        using (var pull = await sync.Http.SendAsync(HttpMethod.Get, $"/api/workspaces/{workspaceId}/changes?after=0", master, Ct))
        {
            await Problems.AssertProblem(pull, HttpStatusCode.Gone, "workspace-deleted");
        }

        // A redelivered erasure, and a claim message that arrives late, store nothing.
        await sync.InvokeAsync(new WorkspaceErased(workspaceId, "operator:again", DateTimeOffset.UtcNow));
        await sync.InvokeAsync(new WorkspaceClaimed(workspaceId, owner, DateTimeOffset.UtcNow));
        Assert.Equal(0L, (await db.QueryAsync("select count(*) from sync.logs where workspace_id = $1", r => r.GetInt64(0), Ct, workspaceId)).Single());
        Assert.Equal($"owner:{owner}", (await db.QueryAsync("select data->>'ErasedBy' from sync.mt_doc_erasedworkspace where id = $1", r => r.GetString(0), Ct, workspaceId)).Single());
    }
}
