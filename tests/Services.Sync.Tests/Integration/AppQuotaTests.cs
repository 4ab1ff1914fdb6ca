using System.Net;
using SyncEngine.Contracts.Apps;
using SyncEngine.Testing;
using Xunit;
using static SyncEngine.Testing.TestData;

namespace Services.Sync.Tests.Integration;

/// <summary>
/// An app's quotas at Sync: <c>maxAppBytes</c> (the stored bytes of all its workspaces, exact under concurrent writers,
/// counted under the app's lock) and <c>maxLiveStreamsPerClient</c> (a device's streams across its workspaces of the app).
/// </summary>
public sealed class AppQuotaTests(SyncService sync)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static string NewAppId() => $"quota-{Guid.NewGuid():N}"[..16];

    /// <summary>The bytes the app's logs count, and what their changes and snapshots really hold.</summary>
    private async Task<(long Counted, long Stored)> AppBytesAsync(string appId)
    {
        await using var db = await sync.Database.OpenAsync(Ct);
        return (await db.QueryAsync(
            """
            select coalesce(sum(l.stored_bytes), 0)::bigint,
                coalesce(sum((select coalesce(sum(octet_length(data)), 0) from sync.changes where workspace_id = l.workspace_id)
                    + (select coalesce(sum(octet_length(data)), 0) from sync.snapshots where workspace_id = l.workspace_id)), 0)::bigint
            from sync.logs l where l.app_id = $1
            """, r => (r.GetInt64(0), r.GetInt64(1)), Ct, appId)).Single();
    }

    [Fact]
    public async Task concurrent_pushers_on_an_apps_workspaces_never_take_the_app_above_max_app_bytes()
    {
        var appId = NewAppId();
        await sync.RegisterAppAsync(appId, new AppQuotas(MaxAppBytes: 10_000));
        var workspaces = new List<(Guid WorkspaceId, string Master)>();
        for (var i = 0; i < 4; i++)
        {
            var (workspaceId, _, master) = await sync.NewWorkspaceAsync(appId);
            workspaces.Add((workspaceId, master));
        }

        for (var i = 0; i < 7; i++)
        {
            var (workspaceId, master) = workspaces[i % 4];
            await sync.Api.PushAsync(master, workspaceId, Bytes(1000, i), Guid.NewGuid(), 1, Ct);
        }

        // 3000 bytes left: room for four of the twenty racers' 700, not five, whichever workspaces they write to.
        var responses = await Task.WhenAll(Enumerable.Range(0, 20).Select(i =>
            sync.PushAsync(workspaces[i % 4].WorkspaceId, workspaces[i % 4].Master, Bytes(700, 100 + i))));

        Assert.Equal(4, responses.Count(r => r.StatusCode == HttpStatusCode.Created));
        foreach (var refused in responses.Where(r => r.StatusCode != HttpStatusCode.Created))
        {
            var problem = await Problems.AssertProblem(refused, HttpStatusCode.Forbidden, "quota-exceeded");
            Assert.Equal("maxAppBytes", problem.GetProperty("quota").GetString());
            Assert.Equal(10_000, problem.GetProperty("limit").GetInt64());
            Assert.Equal(9800, problem.GetProperty("used").GetInt64());
        }

        Assert.Equal((9800L, 9800L), await AppBytesAsync(appId));

        // A snapshot counts too, and one that frees bytes in its workspace is weighed by what remains.
        var (first, firstMaster) = workspaces[0];
        var head = (await sync.Api.PullAsync(firstMaster, first, 0, Ct)).Head;
        using (var over = await sync.UploadAsync(first, firstMaster, Bytes(201, 7), covers: head))
        {
            await Problems.AssertProblem(over, HttpStatusCode.Forbidden, "quota-exceeded");
        }

        Assert.Equal((9800L, 9800L), await AppBytesAsync(appId));
        await sync.Api.UploadSnapshotAsync(firstMaster, first, Bytes(200, 7), covers: head, Ct);
        Assert.Equal((10_000L, 10_000L), await AppBytesAsync(appId));

        // Another app's workspace is not held to it.
        var otherApp = NewAppId();
        await sync.RegisterAppAsync(otherApp, new AppQuotas());
        var (elsewhere, _, elsewhereMaster) = await sync.NewWorkspaceAsync(otherApp);
        Assert.Equal(1, await sync.Api.PushAsync(elsewhereMaster, elsewhere, Bytes(20_000, 1), Guid.NewGuid(), 1, Ct));
        foreach (var response in responses)
        {
            response.Dispose();
        }
    }

    [Fact]
    public async Task a_client_beyond_its_apps_live_streams_is_refused_and_a_closed_stream_makes_room()
    {
        var appId = NewAppId();
        await sync.RegisterAppAsync(appId, new AppQuotas(MaxLiveStreamsPerClient: 2));
        var owner = Guid.NewGuid();
        var (a, _, masterA) = await sync.NewWorkspaceAsync(appId, owner);
        var (b, _, masterB) = await sync.NewWorkspaceAsync(appId, owner);
        var (c, _, masterC) = await sync.NewWorkspaceAsync(appId, owner);

        await using var streamA = await EventStream.OpenAsync(sync.Http, a, masterA, null, Ct);
        var streamB = await EventStream.OpenAsync(sync.Http, b, masterB, null, Ct);
        Assert.Equal(HttpStatusCode.OK, streamA.Response.StatusCode);
        Assert.Equal(HttpStatusCode.OK, streamB.Response.StatusCode);

        await using (var third = await EventStream.OpenAsync(sync.Http, c, masterC, null, Ct))
        {
            var problem = await Problems.AssertProblem(third.Response, HttpStatusCode.Forbidden, "quota-exceeded");
            Assert.Equal(("maxLiveStreamsPerClient", 2, 2),
                (problem.GetProperty("quota").GetString(), problem.GetProperty("limit").GetInt32(), problem.GetProperty("used").GetInt32()));
        }

        // Reopening a workspace's stream with the same token replaces the old one: never refused.
        await using var reopenedA = await EventStream.OpenAsync(sync.Http, a, masterA, null, Ct);
        Assert.Equal(HttpStatusCode.OK, reopenedA.Response.StatusCode);

        // Another device of the same app has its own count.
        var (d, _, otherDevice) = await sync.NewWorkspaceAsync(appId);
        await using var theirs = await EventStream.OpenAsync(sync.Http, d, otherDevice, null, Ct);
        Assert.Equal(HttpStatusCode.OK, theirs.Response.StatusCode);

        // Closing one makes room (the server counts it out when the request ends).
        await streamB.DisposeAsync();
        var reopened = await Eventually.Until(async _ =>
        {
            var stream = await EventStream.OpenAsync(sync.Http, c, masterC, null, Ct);
            if (stream.Response.StatusCode == HttpStatusCode.OK)
            {
                return stream;
            }

            await stream.DisposeAsync();
            return null;
        }, s => s is not null, TimeSpan.FromSeconds(10), Ct);
        await reopened!.DisposeAsync();
    }
}
