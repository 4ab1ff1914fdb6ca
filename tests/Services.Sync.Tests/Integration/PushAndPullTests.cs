using System.Net;
using SyncEngine.Client;
using SyncEngine.Testing;
using Xunit;
using static SyncEngine.Testing.TestData;

namespace Services.Sync.Tests.Integration;

public sealed class PushAndPullTests(SyncService sync)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task pushed_changes_come_back_byte_for_byte_and_a_client_one_behind_gets_only_the_last()
    {
        var (workspaceId, _, master) = await sync.NewWorkspaceAsync();
        var changes = Enumerable.Range(1, 5).Select(i => Bytes(1000 + i, i)).ToList();
        foreach (var (change, index) in changes.Select((c, i) => (c, i)))
        {
            Assert.Equal(index + 1, await sync.Api.PushAsync(master, workspaceId, change, Guid.NewGuid(), 1, Ct));
        }

        var all = await sync.Api.PullAsync(master, workspaceId, after: 0, Ct);
        var last = await sync.Api.PullAsync(master, workspaceId, after: 4, Ct);
        var nothing = await sync.Api.PullAsync(master, workspaceId, after: 5, Ct);

        Assert.Equal(5, all.Head);
        Assert.Equal(changes, all.Frames.Select(f => f.Data));
        Assert.Equal([1L, 2, 3, 4, 5], all.Frames.Select(f => f.Seq));
        Assert.Equal(changes[4], Assert.Single(last.Frames).Data);
        Assert.Equal(13 + changes[4].Length, last.BodyBytes);
        Assert.Empty(nothing.Frames);
    }

    [Fact]
    public async Task a_replayed_push_returns_the_same_seq_and_a_reused_key_with_other_bytes_is_refused()
    {
        var (workspaceId, _, master) = await sync.NewWorkspaceAsync();
        var key = Guid.NewGuid();
        var first = await sync.Api.PushAsync(master, workspaceId, Bytes(100, 1), key, 1, Ct);

        var replay = await sync.Api.PushAsync(master, workspaceId, Bytes(100, 1), key, 1, Ct);
        var reused = await Assert.ThrowsAsync<SyncEngineApiException>(() => sync.Api.PushAsync(master, workspaceId, Bytes(100, 2), key, 1, Ct));

        Assert.Equal(first, replay);
        Assert.Equal((HttpStatusCode.Conflict, "idempotency-conflict"), (reused.Status, reused.Code));
        var pulled = await sync.Api.PullAsync(master, workspaceId, 0, Ct);
        Assert.Equal(1, pulled.Head);
        Assert.Equal(Bytes(100, 1), Assert.Single(pulled.Frames).Data);
    }
}
