using System.Net;
using System.Net.Sockets;

namespace SyncEngine.EndToEnd.Tests;

/// <summary>
/// The gateway as a client at another address sees it: straight to the gateway process (Aspire's proxy would make
/// every client 127.0.0.1) from a socket bound to another loopback address (all of 127/8 is local on Linux). Per-address
/// limits can then be spent without touching the budget every other test shares.
/// </summary>
public static class OtherAddress
{
    public static async Task<HttpClient> GatewayFromAsync(this SyncEngineApp app, string sourceAddress, CancellationToken ct)
    {
        var gateway = (await SyncEngineApp.ServiceProcessesAsync(app.App, "gateway", ct)).Single().Pid;
        var direct = ServiceProcesses.DirectAddressOf(gateway) ?? throw new InvalidOperationException("The gateway's own address was not found.");
        var source = IPAddress.Parse(sourceAddress);
        var handler = new SocketsHttpHandler
        {
            // Enough for a flood to outrun the per-client refill, few enough that a flood is not a connection storm.
            MaxConnectionsPerServer = 64,
            ConnectCallback = async (context, token) =>
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    socket.Bind(new IPEndPoint(source, 0));
                    await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, context.DnsEndPoint.Port), token);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };
        return new HttpClient(handler) { BaseAddress = new UriBuilder(direct) { Host = "127.0.0.1" }.Uri };
    }
}
