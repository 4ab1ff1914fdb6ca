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
}
