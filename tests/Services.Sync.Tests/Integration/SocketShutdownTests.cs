using System.Net.WebSockets;
using Xunit;

namespace Services.Sync.Tests.Integration;

/// <summary>A replica that stops closes its sockets with 1001 (docs/protocol.md, "Ends and closes"), so devices reconnect at once.</summary>
public sealed class SocketShutdownTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task a_stopping_replica_closes_each_socket_with_1001_and_says_why()
    {
        // A Sync of its own: the test stops it.
        var sync = new SyncService();
        SyncEngine.Client.SyncSocket? socket = null;
        try
        {
            await sync.InitializeAsync();
            var (workspaceId, _, master) = await sync.NewWorkspaceAsync();
            socket = await sync.OpenSocketAsync();
            await socket.SubscribeAsync(1, workspaceId, master, 0, Ct);
            Assert.Equal("subscribed", (await socket.NextAnswerAsync())?.Type);
        }
        finally
        {
            await sync.DisposeAsync();
        }

        await using (socket)
        {
            Assert.Null(await socket.NextAsync(_ => false, SyncSocketAnswers.Wait, Ct));
            Assert.Equal(WebSocketCloseStatus.EndpointUnavailable, socket.Socket.CloseStatus);
            Assert.Contains("stopping", socket.Socket.CloseStatusDescription, StringComparison.Ordinal);
        }
    }
}
