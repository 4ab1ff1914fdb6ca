using SyncEngine.Testing;
using Xunit;

namespace SyncEngine.EndToEnd.Tests;

/// <summary>One <c>head</c> event per committed seq, in order, even when commits arrive faster than announcements.</summary>
[Collection(SyncEngineCollection.Name)]
public sealed class LiveHeadPerSeqTests(SyncEngineApp app)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);

    /// <summary>The ids of the head events up to and including <paramref name="last"/>, checking each event's data.</summary>
    private static async Task<List<long>> HeadIdsUntilAsync(EventStream stream, long last)
    {
        var ids = new List<long>();
        var until = DateTimeOffset.UtcNow + Wait;
        while (DateTimeOffset.UtcNow < until && ids.LastOrDefault(-1) != last)
        {
            var message = await stream.NextMatchingAsync(m => m.Event == "head", until - DateTimeOffset.UtcNow, Ct);
            if (message is null)
            {
                break;
            }

            var id = long.Parse(message.Id!);
            Assert.Equal($"{{\"seq\":{id}}}", message.Data);
            ids.Add(id);
        }

        return ids;
    }

    [Fact]
    public async Task a_burst_of_concurrent_pushes_reaches_a_subscriber_as_one_head_event_per_seq_in_order()
    {
        const int burst = 40;
        var (workspaceId, _, master) = await app.NewWorkspaceAsync(Ct);
        await using var stream = await EventStream.OpenAsync(app.Gateway, workspaceId, master, null, Ct);
        Assert.Equal([0L], await HeadIdsUntilAsync(stream, 0));

        // Concurrent pushes through the gateway land on both replicas and commit faster than each is announced, so
        // announcements coalesce; the stream must still name every seq.
        var seqs = await Task.WhenAll(Enumerable.Range(1, burst)
            .Select(i => app.Api.PushAsync(master, workspaceId, [(byte)i, 2, 3], Guid.NewGuid(), 1, Ct)));
        Assert.Equal(Enumerable.Range(1, burst).Select(i => (long)i), seqs.Order());

        Assert.Equal(Enumerable.Range(1, burst).Select(i => (long)i), await HeadIdsUntilAsync(stream, burst));
    }

    [Fact]
    public async Task rapid_sequential_pushes_reach_a_subscriber_as_one_head_event_per_seq_in_order()
    {
        const int burst = 30;
        var (workspaceId, _, master) = await app.NewWorkspaceAsync(Ct);
        await using var stream = await EventStream.OpenAsync(app.Gateway, workspaceId, master, null, Ct);
        Assert.Equal([0L], await HeadIdsUntilAsync(stream, 0));

        for (var i = 1; i <= burst; i++)
        {
            await app.Api.PushAsync(master, workspaceId, [(byte)i], Guid.NewGuid(), 1, Ct);
        }

        Assert.Equal(Enumerable.Range(1, burst).Select(i => (long)i), await HeadIdsUntilAsync(stream, burst));
    }

    [Fact]
    public async Task a_resuming_subscriber_gets_every_seq_it_missed_then_the_new_ones()
    {
        var (workspaceId, _, master) = await app.NewWorkspaceAsync(Ct);
        for (var i = 1; i <= 6; i++)
        {
            await app.Api.PushAsync(master, workspaceId, [(byte)i], Guid.NewGuid(), 1, Ct);
        }

        await using var stream = await EventStream.OpenAsync(app.Gateway, workspaceId, master, "2", Ct);
        Assert.Equal([3L, 4, 5, 6], await HeadIdsUntilAsync(stream, 6));
        await app.Api.PushAsync(master, workspaceId, [7], Guid.NewGuid(), 1, Ct);
        Assert.Equal([7L], await HeadIdsUntilAsync(stream, 7));
    }
}
