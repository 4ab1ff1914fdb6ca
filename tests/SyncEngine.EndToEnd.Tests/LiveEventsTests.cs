using System.Net;
using SyncEngine.Testing;
using Xunit;

namespace SyncEngine.EndToEnd.Tests;

[Collection(SyncEngineCollection.Name)]
public sealed class LiveEventsTests(SyncEngineApp app)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    private static bool IsHead(EventStream.Message m, long seq) => m.Event == "head" && m.Id == seq.ToString() && m.Data == $"{{\"seq\":{seq}}}";

    [Fact]
    public async Task a_subscriber_gets_a_head_event_for_each_commit()
    {
        var (workspaceId, _, master) = await app.NewWorkspaceAsync(Ct);
        await using var stream = await EventStream.OpenAsync(app.Gateway, workspaceId, master, null, Ct);
        Assert.Equal(HttpStatusCode.OK, stream.Response.StatusCode);
        Assert.Equal("text/event-stream", stream.Response.Content.Headers.ContentType?.MediaType);
        Assert.NotNull(await stream.NextMatchingAsync(m => IsHead(m, 0), Wait, Ct));

        // Each commit must reach this stream, whichever replica took the push (Aspire's proxy picks one per connection,
        // so which replicas are involved is up to it; each replica LISTENs to the same NOTIFY channel).
        for (var seq = 1; seq <= 4; seq++)
        {
            await app.Api.PushAsync(master, workspaceId, [(byte)seq, 1, 2, 3], Guid.NewGuid(), 1, Ct);
            Assert.NotNull(await stream.NextMatchingAsync(m => IsHead(m, seq), Wait, Ct));
        }
    }

    [Fact]
    public async Task a_subscriber_on_one_replica_hears_of_a_push_committed_by_the_other()
    {
        var (workspaceId, _, master) = await app.NewWorkspaceAsync(Ct);
        var replicas = await app.SyncReplicaAddressesAsync(Ct);
        Assert.True(replicas.Count >= 2, $"expected two Sync replicas, found {replicas.Count}");
        using var subscriberSide = new HttpClient { BaseAddress = replicas[0] };
        using var pusherSide = new HttpClient { BaseAddress = replicas[1] };
        await using var stream = await EventStream.OpenAsync(subscriberSide, workspaceId, master, null, Ct);
        Assert.NotNull(await stream.NextMatchingAsync(m => IsHead(m, 0), Wait, Ct));

        var seq = await new SyncEngine.Client.SyncEngineClient(pusherSide).PushAsync(master, workspaceId, [7, 7, 7], Guid.NewGuid(), 1, Ct);

        Assert.NotNull(await stream.NextMatchingAsync(m => IsHead(m, seq), Wait, Ct));
    }

    [Fact]
    public async Task a_resuming_subscriber_gets_the_head_only_when_it_missed_something()
    {
        var (workspaceId, _, master) = await app.NewWorkspaceAsync(Ct);
        await app.Api.PushAsync(master, workspaceId, [1], Guid.NewGuid(), 1, Ct);
        await app.Api.PushAsync(master, workspaceId, [2], Guid.NewGuid(), 1, Ct);

        await using (var behind = await EventStream.OpenAsync(app.Gateway, workspaceId, master, "1", Ct))
        {
            Assert.NotNull(await behind.NextMatchingAsync(m => IsHead(m, 2), Wait, Ct));
        }

        await using var current = await EventStream.OpenAsync(app.Gateway, workspaceId, master, "2", Ct);
        // Heartbeats come every 2 s in the test app; the first thing after them is not a head event.
        var first = await current.NextMatchingAsync(m => !m.IsComment || m.Data == "heartbeat", Wait, Ct);
        Assert.NotNull(first);
        Assert.True(first.IsComment, $"expected only a heartbeat, got event {first.Event} {first.Data}");
    }

    [Fact]
    public async Task a_revoked_subscribers_stream_is_told_and_closed()
    {
        var (workspaceId, _, master) = await app.NewWorkspaceAsync(Ct);
        var client = Guid.NewGuid();
        var token = (await app.Api.JoinAsync(workspaceId, client, (await app.Api.GrantAsync(master, workspaceId, client, "read", ct: Ct)).InviteCode, Ct)).Token;
        await using var stream = await EventStream.OpenAsync(app.Gateway, workspaceId, token, null, Ct);
        Assert.NotNull(await stream.NextMatchingAsync(m => IsHead(m, 0), Wait, Ct));

        await app.Api.RevokeAsync(master, workspaceId, client, Ct);
        var sinceRevoked = System.Diagnostics.Stopwatch.StartNew();

        // DESIGN: a revoked client's live stream is closed within one second.
        var revoked = await stream.NextMatchingAsync(m => m.Event == "revoked", TimeSpan.FromSeconds(1), Ct);
        Assert.True(revoked is not null, $"no revoked event within 1 s of the revocation (waited {sinceRevoked.Elapsed.TotalMilliseconds:F0} ms)");
        TestContext.Current.TestOutputHelper?.WriteLine($"revoked event {sinceRevoked.Elapsed.TotalMilliseconds:F0} ms after the revocation was acknowledged");
        Assert.Null(await stream.NextAsync(TimeSpan.FromSeconds(2), Ct));
        await using var again = await EventStream.OpenAsync(app.Gateway, workspaceId, token, null, Ct);
        Assert.Equal(HttpStatusCode.Unauthorized, again.Response.StatusCode);
    }

    [Fact]
    public async Task a_member_whose_token_expires_in_90_days_can_follow_the_workspace()
    {
        // Past about 49 days an expiry cannot be a timer; it was a 500 before the stream checked it at heartbeats.
        var (workspaceId, _, master) = await app.NewWorkspaceAsync(Ct);
        var (_, token) = await app.NewMemberAsync(workspaceId, master, "read", Ct, expiresInSeconds: 90L * 24 * 3600);

        await using var stream = await EventStream.OpenAsync(app.Gateway, workspaceId, token, null, Ct);

        Assert.Equal(HttpStatusCode.OK, stream.Response.StatusCode);
        Assert.NotNull(await stream.NextMatchingAsync(m => IsHead(m, 0), Wait, Ct));
        await app.Api.PushAsync(master, workspaceId, [1], Guid.NewGuid(), 1, Ct);
        Assert.NotNull(await stream.NextMatchingAsync(m => IsHead(m, 1), Wait, Ct));
    }
}
