using System.Diagnostics;
using SyncEngine.Client;
using SyncEngine.Testing;
using Xunit;

namespace SyncEngine.EndToEnd.Tests;

/// <summary>
/// The realtime channel through the real gateway (YARP forwarding the WebSocket) to whichever Sync replica takes it:
/// two devices on sockets, a change from one reaching the other with its bytes, the owner's revocation ending the
/// member's subscription. What each message does is in Sync's own tests (SyncSocketTests).
/// </summary>
[Collection(SyncEngineCollection.Name)]
public class RealtimeJourneyTests(SyncEngineApp app)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task two_devices_sync_over_sockets_through_the_gateway_until_the_owner_revokes_one()
    {
        var (workspaceId, _, master) = await app.NewWorkspaceAsync(Ct);
        var (client, token) = await app.NewMemberAsync(workspaceId, master, "read_write", Ct);
        await using var owner = await SyncSocket.ConnectAsync(app.Gateway.BaseAddress!, Ct);
        await using var member = await SyncSocket.ConnectAsync(app.Gateway.BaseAddress!, Ct);
        Assert.Equal(SyncSocket.Subprotocol, owner.Socket.SubProtocol);
        await owner.SubscribeAsync(1, workspaceId, master, 0, Ct);
        await member.SubscribeAsync(1, workspaceId, token, 0, Ct);
        Assert.NotNull(await owner.NextAsync(m => m.Type == "subscribed", Wait, Ct));
        Assert.NotNull(await member.NextAsync(m => m.Type == "subscribed", Wait, Ct));

        var change = LoroExports.Update;
        await owner.PushAsync(2, workspaceId, Guid.NewGuid(), 1, change, Ct);
        var ack = await owner.NextAsync(m => m.Type is "ack" or "error", Wait, Ct);
        Assert.Equal(("ack", 1L), (ack!.Type, ack.Long("seq")));
        var received = await member.NextAsync(m => m.Type == "changes", Wait, Ct);
        Assert.Equal(change, Assert.Single(received!.Frames).Data);

        // The member's push comes back to the owner the same way, and HTTP sees both.
        await member.PushAsync(2, workspaceId, Guid.NewGuid(), 1, LoroExports.Padded(change, 10), Ct);
        Assert.Equal(2, (await member.NextAsync(m => m.Type == "ack", Wait, Ct))!.Long("seq"));
        Assert.Equal(2, Assert.Single((await owner.NextAsync(m => m.Type == "changes", Wait, Ct))!.Frames).Seq);
        Assert.Equal(2, (await app.Api.PullAsync(master, workspaceId, 0, Ct)).Head);

        await app.Api.RevokeAsync(master, workspaceId, client, Ct);
        var sinceRevoke = Stopwatch.StartNew();
        var revoked = await member.NextAsync(m => m.Type == "revoked", Wait, Ct);
        TestContext.Current.TestOutputHelper?.WriteLine($"the member's socket was told {sinceRevoke.ElapsedMilliseconds} ms after the revocation's 204");
        Assert.Equal(workspaceId, revoked!.Workspace);

        await member.PushAsync(3, workspaceId, Guid.NewGuid(), 1, LoroExports.Padded(change, 20), Ct);
        var refused = await member.NextAsync(m => m.Type == "error", Wait, Ct);
        Assert.Equal((401, "unauthorized"), (refused!.Status!.Value, refused.Code));
        Assert.Equal(2, (await app.Api.PullAsync(master, workspaceId, 0, Ct)).Head);
    }

    [Fact]
    public async Task a_device_on_one_replica_gets_every_change_pushed_on_the_other_with_its_bytes_in_order()
    {
        var replicas = await app.SyncReplicaAddressesAsync(Ct);
        Assert.True(replicas.Count >= 2, $"found {replicas.Count} Sync replica(s)");
        var (workspaceId, _, master) = await app.NewWorkspaceAsync(Ct);
        var (_, token) = await app.NewMemberAsync(workspaceId, master, "read_write", Ct);
        await using var pusher = await SyncSocket.ConnectAsync(replicas[0], Ct);
        await using var viewer = await SyncSocket.ConnectAsync(replicas[1], Ct);
        await pusher.SubscribeAsync(1, workspaceId, master, 0, Ct);
        await viewer.SubscribeAsync(1, workspaceId, token, 0, Ct);
        Assert.NotNull(await pusher.NextAsync(m => m.Type == "subscribed", Wait, Ct));
        Assert.NotNull(await viewer.NextAsync(m => m.Type == "subscribed", Wait, Ct));

        // Small changes travel inside their announcement; the 8 KiB ones are read back by the other replica.
        var sent = Enumerable.Range(0, 10).Select(i => LoroExports.Padded(LoroExports.Update, i % 3 == 0 ? 8 * 1024 : 10 * i, (byte)i)).ToList();
        for (var i = 0; i < sent.Count; i++)
        {
            await pusher.PushAsync(10 + i, workspaceId, Guid.NewGuid(), 1, sent[i], Ct);
            Assert.Equal(i + 1, (await pusher.NextAsync(m => m.Ref == 10 + i, Wait, Ct))!.Long("seq"));
        }

        var received = new List<SyncFrame>();
        while (received.Count < sent.Count && await viewer.NextAsync(m => m.Type == "changes", Wait, Ct) is { } changes)
        {
            received.AddRange(changes.Frames);
        }

        Assert.Equal(Enumerable.Range(1, sent.Count).Select(i => (long)i), received.Select(f => f.Seq));
        Assert.Equal(sent, received.Select(f => f.Data));
    }

    [Fact]
    public async Task a_browser_on_another_origin_opens_the_socket_only_from_a_listed_origin_and_subscribes_only_its_apps_workspaces()
    {
        var appId = $"sock-{Guid.NewGuid():N}"[..16];
        var origin = $"http://{appId}.localhost:5173";
        var admin = await app.OperatorTokenAsync(Ct);
        await app.Api.RegisterAppAsync(admin, new AppSettings(appId, "Socket app", AllowedOrigins: [origin]), Ct);
        var (own, _, ownMaster) = await app.NewWorkspaceInAppAsync(appId, Ct);
        var (foreign, _, foreignMaster) = await app.NewWorkspaceAsync(Ct);

        // The gateway reads every app's origins each second: the upgrade passes once it knows this one.
        var socket = await Eventually.Until(async t =>
        {
            try
            {
                return await SyncSocket.ConnectAsync(app.Gateway.BaseAddress!, t, origin);
            }
            catch (System.Net.WebSockets.WebSocketException)
            {
                return null;
            }
        }, s => s is not null, TimeSpan.FromSeconds(10), Ct);
        Assert.NotNull(socket);
        await using (socket)
        {
            await socket.SubscribeAsync(1, own, ownMaster, 0, Ct);
            Assert.Equal("subscribed", (await socket.NextAsync(m => m.Ref == 1, Wait, Ct))!.Type);
            // Another app's token from this origin: refused, as its HTTP requests are.
            await socket.SubscribeAsync(2, foreign, foreignMaster, 0, Ct);
            var refused = await socket.NextAsync(m => m.Ref == 2, Wait, Ct);
            Assert.Equal(("error", 403, "forbidden"), (refused!.Type, refused.Status!.Value, refused.Code));
        }

        // An origin no app lists does not get a socket at all.
        await Assert.ThrowsAsync<System.Net.WebSockets.WebSocketException>(() =>
            SyncSocket.ConnectAsync(app.Gateway.BaseAddress!, Ct, "http://elsewhere.localhost:5173"));
    }
}
