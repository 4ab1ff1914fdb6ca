using System.Net;
using SyncEngine.Testing;
using Xunit;
using static SyncEngine.Testing.TestData;

namespace Services.Sync.Tests.Integration;

/// <summary>
/// Sync:MaxWorkspaceBytes (24 MiB here): the payload bytes of a workspace's changes and snapshots. A write past it is
/// 403 quota-exceeded and stores nothing; the count is kept under the log row lock, exact under concurrent pushers.
/// </summary>
public sealed class WorkspaceQuotaTests(SyncService sync)
{
    private const int Racers = 8;
    private const int RacerBytes = 700 * 1024;
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>What the log row counts, and what its changes and snapshots really hold.</summary>
    private async Task<(long Counted, long Stored)> StoredBytesAsync(Guid workspaceId)
    {
        await using var db = await sync.Database.OpenAsync(Ct);
        return (await db.QueryAsync(
            """
            select l.stored_bytes,
                (select coalesce(sum(octet_length(data)), 0) from sync.changes where workspace_id = l.workspace_id)
                + (select coalesce(sum(octet_length(data)), 0) from sync.snapshots where workspace_id = l.workspace_id)
            from sync.logs l where l.workspace_id = $1
            """, r => (r.GetInt64(0), Convert.ToInt64(r.GetValue(1), System.Globalization.CultureInfo.InvariantCulture)), Ct, workspaceId)).Single();
    }

    [Fact]
    public async Task concurrent_pushers_racing_for_the_last_bytes_never_take_a_workspace_above_its_limit()
    {
        var (workspaceId, _, master) = await sync.NewWorkspaceAsync();
        // 22 MiB, leaving 2 MiB: room for two of the racers' 700 KiB, not three.
        var filled = 11L * SyncService.MaxChangeBytes;
        for (var i = 0; i < 11; i++)
        {
            await sync.Api.PushAsync(master, workspaceId, Bytes(SyncService.MaxChangeBytes, i), Guid.NewGuid(), 1, Ct);
        }

        var responses = await Task.WhenAll(Enumerable.Range(0, Racers).Select(i => sync.PushAsync(workspaceId, master, Bytes(RacerBytes, 100 + i))));

        Assert.Equal(2, responses.Count(r => r.StatusCode == HttpStatusCode.Created));
        var usedWhenFull = filled + 2L * RacerBytes;
        foreach (var refused in responses.Where(r => r.StatusCode != HttpStatusCode.Created))
        {
            var problem = await Problems.AssertProblem(refused, HttpStatusCode.Forbidden, "quota-exceeded");
            Assert.Equal("maxWorkspaceBytes", problem.GetProperty("quota").GetString());
            Assert.Equal(SyncService.MaxWorkspaceBytes, problem.GetProperty("limit").GetInt64());
            Assert.Equal(usedWhenFull, problem.GetProperty("used").GetInt64());
        }

        Assert.Equal((usedWhenFull, usedWhenFull), await StoredBytesAsync(workspaceId));
        Assert.Equal(13, (await sync.Api.PullAsync(master, workspaceId, 12, Ct)).Head);

        // A snapshot counts too: one that would pass the limit is refused and not stored.
        using var snapshot = await sync.UploadAsync(workspaceId, master, Bytes(SyncService.MaxChangeBytes, 7), covers: 13);
        await Problems.AssertProblem(snapshot, HttpStatusCode.Forbidden, "quota-exceeded");
        Assert.Equal((usedWhenFull, usedWhenFull), await StoredBytesAsync(workspaceId));
        foreach (var response in responses)
        {
            response.Dispose();
        }
    }

    [Fact]
    public async Task the_count_follows_snapshots_and_pruning()
    {
        var (workspaceId, _, master) = await sync.NewWorkspaceAsync();
        for (var i = 0; i < 3; i++)
        {
            await sync.Api.PushAsync(master, workspaceId, Bytes(1000, i), Guid.NewGuid(), 1, Ct);
        }

        await sync.Api.UploadSnapshotAsync(master, workspaceId, Bytes(500, 9), covers: 2, Ct);
        await sync.Api.UploadSnapshotAsync(master, workspaceId, Bytes(600, 9), covers: 2, Ct);
        Assert.Equal((3600L, 3600L), await StoredBytesAsync(workspaceId));

        // After the retention window the two covered changes are pruned and leave the count.
        var pruned = await Eventually.Until(_ => StoredBytesAsync(workspaceId), bytes => bytes.Counted == 1600,
            SyncService.CoveredChangeRetention + TimeSpan.FromSeconds(30), Ct);
        Assert.Equal((1600L, 1600L), pruned);
    }
}
