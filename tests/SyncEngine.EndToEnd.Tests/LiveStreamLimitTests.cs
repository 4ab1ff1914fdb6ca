using System.Diagnostics;
using SyncEngine.Testing;
using Xunit;

namespace SyncEngine.EndToEnd.Tests;

/// <summary>
/// Sync:MaxLiveStreamsPerToken (4, the default) per replica: a token's newer stream closes its oldest on that replica,
/// so one token cannot hold more than 4 streams on each of the two replicas, however many it opens.
/// </summary>
[Collection(SyncEngineCollection.Name)]
public sealed class LiveStreamLimitTests(SyncEngineApp app)
{
    private const int PerReplica = 4;
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Whether the server ends the stream within <paramref name="within"/> (heartbeats keep an open one talking).</summary>
    private static async Task<bool> EndsAsync(EventStream stream, TimeSpan within)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < within)
        {
            if (await stream.NextAsync(within - clock.Elapsed, Ct) is null)
            {
                return clock.Elapsed < within;
            }
        }

        return false;
    }

    [Fact]
    public async Task a_token_opening_more_streams_than_allowed_loses_its_oldest_and_keeps_its_newest()
    {
        var (workspaceId, _, master) = await app.NewWorkspaceAsync(Ct);
        var replicas = (await app.SyncReplicaAddressesAsync(Ct)).Count;
        var streams = new List<EventStream>();
        try
        {
            for (var i = 0; i <= PerReplica * replicas; i++)
            {
                var stream = await EventStream.OpenAsync(app.Gateway, workspaceId, master, null, Ct);
                // The stream is counted once it answers: its first event is the current head.
                Assert.NotNull(await stream.NextMatchingAsync(m => m.Event == "head", TimeSpan.FromSeconds(10), Ct));
                streams.Add(stream);
            }

            var newest = streams[^1];
            var ended = await Task.WhenAll(streams[..^1].Select(s => EndsAsync(s, TimeSpan.FromSeconds(8))));
            Assert.True(ended.Count(e => e) >= 1, $"none of {streams.Count} streams of one token was closed");
            Assert.True(ended.Count(e => !e) + 1 <= PerReplica * replicas);

            await app.Api.PushAsync(master, workspaceId, [1], Guid.NewGuid(), 1, Ct);
            var head = await newest.NextMatchingAsync(m => m.Event == "head" && m.Id == "1", TimeSpan.FromSeconds(10), Ct);
            Assert.NotNull(head);
        }
        finally
        {
            foreach (var stream in streams)
            {
                await stream.DisposeAsync();
            }
        }
    }
}
