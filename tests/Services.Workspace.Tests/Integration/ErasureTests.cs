using System.Net;
using SyncEngine.Contracts.Workspaces;
using SyncEngine.Testing;
using Wolverine.Tracking;
using Xunit;

namespace Services.Workspace.Tests.Integration;

/// <summary>Workspace's part of an erasure: its rows go, a tombstone stays, WorkspaceErased goes out, the id is 410.</summary>
public sealed class ErasureTests(WorkspaceService workspace)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task the_owner_erases_the_workspace_its_events_and_snapshot_go_and_every_route_and_a_new_claim_are_410()
    {
        var (workspaceId, owner, master) = await workspace.NewWorkspaceAsync();

        var session = await workspace.TrackAsync(() => workspace.Api.DeleteWorkspaceAsync(master, workspaceId, Ct));

        // One to Auth's queue, one to Sync's.
        var erased = Assert.Single(session.Sent.MessagesOf<WorkspaceErased>().Distinct());
        Assert.Equal(2, session.Sent.MessagesOf<WorkspaceErased>().Count());
        Assert.Equal((workspaceId, $"owner:{owner}"), (erased.WorkspaceId, erased.ErasedBy));
        await using var db = await workspace.Database.OpenAsync(Ct);
        Assert.Equal(0L, (await db.QueryAsync("select count(*) from workspace.mt_events where stream_id = $1", r => r.GetInt64(0), Ct, workspaceId)).Single());
        // The stream's row stays, archived and empty, so the id can never start a stream again.
        Assert.Equal([true], await db.QueryAsync("select is_archived from workspace.mt_streams where id = $1", r => r.GetBoolean(0), Ct, workspaceId));
        Assert.Equal(0L, (await db.QueryAsync("select count(*) from workspace.mt_doc_workspace where id = $1", r => r.GetInt64(0), Ct, workspaceId)).Single());
        Assert.Equal(1L, (await db.QueryAsync("select count(*) from workspace.mt_doc_erasedworkspace where id = $1", r => r.GetInt64(0), Ct, workspaceId)).Single());
        foreach (var path in new[] { $"/api/workspaces/{workspaceId}", $"/api/workspaces/{workspaceId}/history" })
        {
            using var response = await workspace.Http.SendAsync(HttpMethod.Get, path, master, Ct);
            await Problems.AssertProblem(response, HttpStatusCode.Gone, "workspace-deleted");
        }

        using var again = await workspace.Http.SendAsync(HttpMethod.Delete, $"/api/workspaces/{workspaceId}", master, Ct);
        await Problems.AssertProblem(again, HttpStatusCode.Gone, "workspace-deleted");
        using var claim = await workspace.Http.SendJsonAsync(HttpMethod.Post, "/api/workspaces", null, new { workspaceId, clientId = owner }, Ct);
        Assert.Equal(HttpStatusCode.BadRequest, claim.StatusCode); // no Idempotency-Key: checked first
        using var reclaim = await workspace.Http.SendAsync(HttpMethod.Post, "/api/workspaces", null, Ct,
            System.Net.Http.Json.JsonContent.Create(new { workspaceId, clientId = owner }), ("Idempotency-Key", Guid.NewGuid().ToString()));
        await Problems.AssertProblem(reclaim, HttpStatusCode.Gone, "workspace-deleted");
    }
}
