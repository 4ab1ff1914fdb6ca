using System.Net.WebSockets;
using SyncEngine.Client;
using SyncEngine.Testing;
using Xunit;

namespace SyncEngine.EndToEnd.Tests.Browser;

/// <summary>
/// The web library's fallback for real: a browser whose realtime socket cannot open (here the gateway refuses it, its
/// sockets per address taken) syncs over HTTP and event streams instead, beside a device on the socket.
/// </summary>
[Collection(SyncEngineCollection.Name)]
public sealed class SocketFallbackTests(SyncEngineApp app, Chromium chromium) : IClassFixture<Chromium>
{
    private static readonly TimeSpan Reconnect = TimeSpan.FromSeconds(20);
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task a_device_whose_socket_is_refused_falls_back_to_http_and_syncs_live_with_a_device_on_the_socket()
    {
        // Every socket a loopback address may hold (Gateway:SocketsPerAddress, 128), so the browser's upgrade is 429
        // whichever address Chromium takes for localhost (it maps the name to both families itself).
        var held = new List<SyncSocket>();
        try
        {
            foreach (var loopback in new[] { "127.0.0.1", "[::1]" })
            {
                var address = new UriBuilder(app.Gateway.BaseAddress!) { Host = loopback }.Uri;
                var before = held.Count;
                while (true)
                {
                    Assert.True(held.Count - before <= 1024, $"the gateway never refused a socket from {loopback}");
                    try
                    {
                        held.Add(await SyncSocket.ConnectAsync(address, Ct));
                    }
                    catch (WebSocketException refused)
                    {
                        TestContext.Current.TestOutputHelper?.WriteLine($"{loopback}: {held.Count - before} sockets, then {refused.Message}");
                        break;
                    }
                }

                Assert.True(loopback != "127.0.0.1" || held.Count > before, "no socket opened from 127.0.0.1: the refusal was not the limit");
            }

            // The refusals were the limit's: the socket route answers this address 429 now. (The held sockets do not answer
            // Sync's pings, so they are dropped after about 30 s; the browser asks within a few.)
            using (var full = await app.Gateway.SendAsync(HttpMethod.Get, "/api/sync", null, Ct))
            {
                await Problems.AssertProblem(full, System.Net.HttpStatusCode.TooManyRequests, "rate-limited");
            }

            await using var a = await Device.OpenAsync(chromium.Browser, app.Gateway.BaseAddress!, transport: "http");
            var workspaceId = await a.CreateJournalAsync("Behind a proxy");
            await a.AddMealAsync("Rice", 200);
            await a.ExpectSettledAsync(Reconnect);

            // Room again: the next device gets its socket, and the two meet across the transports. The first stays on
            // its page (a page load would start a new worker, which would now get a socket), so it is invited by API.
            foreach (var socket in held)
            {
                await socket.DisposeAsync();
            }

            held.Clear();
            await using var b = await Device.OpenAsync(chromium.Browser, app.Gateway.BaseAddress!, transport: "socket");
            var master = (await a.StoredAsync(workspaceId))!.Token!;
            var grant = await app.Api.GrantAsync(master, workspaceId, b.ClientId, "read_write", ct: Ct);
            await b.JoinAsync($"{app.Gateway.BaseAddress}join/{workspaceId}#{Uri.EscapeDataString(grant.InviteCode)}");
            await b.ExpectMealsAsync(Reconnect, "Rice");
            await b.AddMealAsync("Beans", 120);
            await a.ExpectMealsAsync(Reconnect, "Beans", "Rice");
            await a.AddMealAsync("Tea", 2);
            await b.ExpectMealsAsync(Reconnect, "Beans", "Rice", "Tea");
            Assert.Equal("http", await a.Page.Locator("html").GetAttributeAsync("data-sync-transport"));
            Assert.Empty(a.Errors.Concat(b.Errors));
        }
        finally
        {
            foreach (var socket in held)
            {
                await socket.DisposeAsync();
            }
        }
    }
}
