using System.Net;
using SyncEngine.Testing;
using Xunit;
using static SyncEngine.Testing.TestData;

namespace Services.Sync.Tests.Integration;

/// <summary>
/// Every push (and snapshot) carries the app's schema version: an older one than the workspace's is outdated-version, one above the
/// newest released (Sync:MaxSchemaVersion, 3 here) unknown-version, and neither stores anything.
/// </summary>
public sealed class SchemaVersionGateTests(SyncService sync)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task the_gate_refuses_older_apps_and_moves_forward_with_newer_ones()
    {
        var (workspaceId, _, master) = await sync.NewWorkspaceAsync();
        using var missing = await sync.PushAsync(workspaceId, master, Bytes(10, 1), version: null);
        await Problems.AssertProblem(missing, HttpStatusCode.BadRequest, "missing-version");
        using var garbage = await sync.PushAsync(workspaceId, master, Bytes(10, 1), version: "two");
        await Problems.AssertProblem(garbage, HttpStatusCode.BadRequest, "invalid-request");

        await sync.Api.PushAsync(master, workspaceId, Bytes(10, 1), Guid.NewGuid(), 2, Ct);
        using var older = await sync.PushAsync(workspaceId, master, Bytes(10, 2), version: "1");
        var problem = await Problems.AssertProblem(older, HttpStatusCode.Conflict, "outdated-version");
        Assert.Equal(2, problem.GetProperty("currentVersion").GetInt32());
        await sync.Api.PushAsync(master, workspaceId, Bytes(10, 3), Guid.NewGuid(), 3, Ct);

        var pulled = await sync.Api.PullAsync(master, workspaceId, 0, Ct);
        Assert.Equal(3, pulled.SchemaVersion);
        Assert.Equal([Bytes(10, 1), Bytes(10, 3)], pulled.Frames.Select(f => f.Data));
    }

    [Fact]
    public async Task a_guest_push_above_the_released_schema_version_is_unknown_version_stores_nothing_and_real_clients_keep_pushing()
    {
        var (workspaceId, _, master) = await sync.NewWorkspaceAsync();
        var (_, _, guest) = sync.NewMember(workspaceId, "read_write");

        foreach (var version in new[] { int.MaxValue, SyncService.MaxSchemaVersion + 1 })
        {
            using var refused = await sync.PushAsync(workspaceId, guest, [1, 2, 3], version: version.ToString(System.Globalization.CultureInfo.InvariantCulture));
            var problem = await Problems.AssertProblem(refused, HttpStatusCode.BadRequest, "unknown-version");
            Assert.Equal(SyncService.MaxSchemaVersion, problem.GetProperty("maxSchemaVersion").GetInt32());
        }

        var pulled = await sync.Api.PullAsync(master, workspaceId, 0, Ct);
        Assert.Equal((0L, 0), (pulled.Head, pulled.SchemaVersion));
        Assert.Equal(1, await sync.Api.PushAsync(master, workspaceId, [1, 2, 3], Guid.NewGuid(), 1, Ct));
        Assert.Equal(2, await sync.Api.PushAsync(master, workspaceId, [1, 2, 3], Guid.NewGuid(), SyncService.MaxSchemaVersion, Ct));
        var after = await sync.Api.PullAsync(guest, workspaceId, 0, Ct);
        Assert.Equal((2L, SyncService.MaxSchemaVersion), (after.Head, after.SchemaVersion));
    }

    [Fact]
    public async Task a_snapshot_carries_a_released_schema_version_or_is_refused_and_not_stored()
    {
        var (workspaceId, _, master) = await sync.NewWorkspaceAsync();
        await sync.Api.PushAsync(master, workspaceId, Bytes(100, 1), Guid.NewGuid(), 1, Ct);
        await sync.Api.PushAsync(master, workspaceId, Bytes(100, 2), Guid.NewGuid(), 1, Ct);

        using (var missing = await sync.Http.UploadSnapshotAsync(workspaceId, master, new ByteArrayContent(Bytes(10, 9)), 2, Ct, schemaVersion: null))
        {
            await Problems.AssertProblem(missing, HttpStatusCode.BadRequest, "missing-version");
        }

        using (var unreleased = await sync.Http.UploadSnapshotAsync(workspaceId, master, new ByteArrayContent(Bytes(10, 9)), 2, Ct,
            schemaVersion: (SyncService.MaxSchemaVersion + 1).ToString(System.Globalization.CultureInfo.InvariantCulture)))
        {
            var problem = await Problems.AssertProblem(unreleased, HttpStatusCode.BadRequest, "unknown-version");
            Assert.Equal(SyncService.MaxSchemaVersion, problem.GetProperty("maxSchemaVersion").GetInt32());
        }

        Assert.All((await sync.Api.PullAsync(master, workspaceId, 0, Ct)).Frames, f => Assert.False(f.IsSnapshot));
        await sync.Api.UploadSnapshotAsync(master, workspaceId, Bytes(10, 9), 2, SyncService.MaxSchemaVersion, Ct);
    }
}
