using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;

namespace Services.Sync.Tests.Integration;

/// <summary>
/// A real WebSocket pair over a loopback TCP connection (the runtime's implementation, as Kestrel serves it), for what
/// the in-memory sockets of the test server do not show: cancelling a pending receive aborts a real socket.
/// </summary>
public sealed class LoopbackSocket : IAsyncDisposable
{
    private readonly TcpClient _client;
    private readonly TcpClient _server;

    private LoopbackSocket(TcpClient client, TcpClient server)
    {
        (_client, _server) = (client, server);
        Server = WebSocket.CreateFromStream(server.GetStream(), new WebSocketCreationOptions { IsServer = true, SubProtocol = SyncEngine.Client.SyncSocket.Subprotocol });
        Device = new SyncEngine.Client.SyncSocket(WebSocket.CreateFromStream(client.GetStream(), new WebSocketCreationOptions { IsServer = false }));
    }

    /// <summary>The server's end, for a SocketSession.</summary>
    public WebSocket Server { get; }

    /// <summary>The device's end.</summary>
    public SyncEngine.Client.SyncSocket Device { get; }

    public static async Task<LoopbackSocket> OpenAsync(CancellationToken ct)
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, ((IPEndPoint)listener.LocalEndpoint).Port, ct);
        return new LoopbackSocket(client, await listener.AcceptTcpClientAsync(ct));
    }

    public async ValueTask DisposeAsync()
    {
        await Device.DisposeAsync();
        Server.Dispose();
        _client.Dispose();
        _server.Dispose();
    }
}
