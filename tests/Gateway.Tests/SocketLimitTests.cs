using System.Net;
using System.Net.WebSockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SyncEngine.Testing;
using Xunit;

namespace Gateway.Tests;

/// <summary>
/// Sockets open at once from one address (<c>Gateway:SocketsPerAddress</c>, 2 here): one more is 429 before it reaches
/// Sync, closing one makes room, and other routes are not affected. The gateway's own Program on Kestrel (a socket's
/// upgrade needs a real connection); Sync is a small server on loopback that accepts sockets and holds them open.
/// </summary>
public sealed class SocketLimitTests : IAsyncLifetime
{
    private const int Limit = 2;
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private WebApplication _sync = null!;
    private int _accepted;

    public async ValueTask InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        _sync = builder.Build();
        _sync.UseWebSockets();
        _sync.Map("/api/sync", async (HttpContext context) =>
        {
            using var socket = await context.WebSockets.AcceptWebSocketAsync();
            Interlocked.Increment(ref _accepted);
            var buffer = new byte[64];
            while (socket.State == WebSocketState.Open && (await socket.ReceiveAsync(buffer, context.RequestAborted)).MessageType != WebSocketMessageType.Close)
            {
            }

            if (socket.State == WebSocketState.CloseReceived)
            {
                await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, context.RequestAborted);
            }
        });
        _sync.MapGet("/api/workspaces/{id}/changes", () => Results.NoContent());
        await _sync.StartAsync(Ct);
    }

    public async ValueTask DisposeAsync() => await _sync.DisposeAsync();

    [Fact]
    public async Task one_socket_more_than_an_address_may_hold_is_429_and_closing_one_makes_room()
    {
        await using var gateway = new GatewayFactory(_sync.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single());
        gateway.UseKestrel(0);
        gateway.StartServer();
        var address = new Uri(gateway.ClientOptions.BaseAddress, "/api/sync");
        var socketAddress = new UriBuilder(address) { Scheme = "ws" }.Uri;

        var held = new List<ClientWebSocket>();
        for (var i = 0; i < Limit; i++)
        {
            held.Add(await ConnectAsync(socketAddress));
        }

        var refused = new ClientWebSocket { Options = { CollectHttpResponseDetails = true } };
        await Assert.ThrowsAsync<WebSocketException>(() => refused.ConnectAsync(socketAddress, Ct));
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.HttpStatusCode);
        Assert.Equal(Limit, Volatile.Read(ref _accepted));

        // Other routes from the same address go on while the sockets are held.
        using (var http = gateway.CreateClient())
        using (var pull = await http.GetAsync($"/api/workspaces/{Guid.NewGuid()}/changes?after=0", Ct))
        {
            Assert.Equal(HttpStatusCode.NoContent, pull.StatusCode);
        }

        // A socket that closes gives its place back (the lease ends with the proxied request).
        await held[0].CloseAsync(WebSocketCloseStatus.NormalClosure, null, Ct);
        held[0].Dispose();
        // The gateway learns of the close as the proxied request ends, a moment after the close handshake.
        using var again = await Eventually.Until(t => TryConnectAsync(socketAddress, t), socket => socket is not null, TimeSpan.FromSeconds(10), Ct);
        Assert.Equal(WebSocketState.Open, again?.State);

        foreach (var socket in held.Skip(1))
        {
            await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, null, Ct);
            socket.Dispose();
        }
    }

    private static async Task<ClientWebSocket> ConnectAsync(Uri address)
    {
        var socket = new ClientWebSocket();
        await socket.ConnectAsync(address, Ct);
        return socket;
    }

    /// <summary>A socket through the gateway, or null when the upgrade is refused.</summary>
    private static async Task<ClientWebSocket?> TryConnectAsync(Uri address, CancellationToken ct)
    {
        var socket = new ClientWebSocket();
        try
        {
            await socket.ConnectAsync(address, ct);
            return socket;
        }
        catch (WebSocketException)
        {
            socket.Dispose();
            return null;
        }
    }

    private sealed class GatewayFactory(string sync) : WebApplicationFactory<Program>
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            builder.UseEnvironment("Production");
            builder.UseSetting(SocketLimit.Setting, Limit.ToString(System.Globalization.CultureInfo.InvariantCulture));
            builder.UseSetting("services:sync:http:0", sync);
            foreach (var service in new[] { "auth", "workspace", "web" })
            {
                // Port 9 (discard) on loopback: nothing listens there.
                builder.UseSetting($"services:{service}:http:0", "http://127.0.0.1:9");
            }
        }
    }
}
