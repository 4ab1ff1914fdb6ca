using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Xunit;

namespace SyncEngine.EndToEnd.Tests;

/// <summary>
/// A pull holds no database connection while it waits on the client's socket (PullChanges): more slow readers than the
/// Sync replicas have connections (Sync:DatabasePoolSize, 24 in the test app) leave other clients' pushes and pulls
/// answering. Had the readers held connections, the readers beyond the pool and the other client's push would wait
/// Npgsql's connection timeout and answer 503 instead: the outcome shows it, no stopwatch needed (one asserted here
/// failed on a loaded CI machine at 5.3 s).
/// </summary>
[Collection(SyncEngineCollection.Name)]
public sealed class SlowReaderTests(SyncEngineApp app)
{
    // More than both replicas' pools together, whichever replica each reader lands on.
    private const int Readers = 3 * SyncEngineApp.SyncPoolSize;

    // 20 MiB: far more than the sockets and proxies between a stalled reader and Sync can buffer, so each pull stays
    // in the middle of its answer while the reader stalls.
    private const int Changes = 10;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>A pull over a raw socket with a tiny receive window that reads the status line and then stops reading.</summary>
    private async Task StalledPullAsync(Guid workspaceId, string token, List<Socket> open)
    {
        var gateway = app.Gateway.BaseAddress!;
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { ReceiveBufferSize = 1024 };
        lock (open)
        {
            open.Add(socket);
        }

        await socket.ConnectAsync(IPAddress.Loopback, gateway.Port, Ct);
        await socket.SendAsync(Encoding.ASCII.GetBytes(
            $"GET /api/workspaces/{workspaceId}/changes?after=0 HTTP/1.1\r\nHost: {gateway.Authority}\r\nAuthorization: Bearer {token}\r\n\r\n"), Ct);
        var start = new byte[12];
        var read = 0;
        while (read < start.Length)
        {
            var got = await socket.ReceiveAsync(start.AsMemory(read), Ct);
            Assert.True(got > 0, "the gateway closed a slow reader's connection before answering");
            read += got;
        }

        // While pulls held connections, the readers beyond the pool already failed here: 500 after Npgsql's wait.
        var status = Encoding.ASCII.GetString(start);
        Assert.True(status == "HTTP/1.1 200", $"a pull beside other slow readers answered {status}");
    }

    [Fact]
    public async Task more_slow_readers_than_the_pool_has_connections_leave_other_clients_pushing_and_pulling_promptly()
    {
        var (largeWorkspace, _, largeMaster) = await app.NewWorkspaceAsync(Ct);
        for (var i = 0; i < Changes; i++)
        {
            var change = Enumerable.Range(0, SyncEngineApp.MaxChangeBytes).Select(b => (byte)((b * 7 + i) % 251)).ToArray();
            await app.Api.PushAsync(largeMaster, largeWorkspace, change, Guid.NewGuid(), 1, Ct);
        }

        var (otherWorkspace, _, otherMaster) = await app.NewWorkspaceAsync(Ct);
        var readers = new List<Socket>();
        try
        {
            await Task.WhenAll(Enumerable.Range(0, Readers).Select(_ => StalledPullAsync(largeWorkspace, largeMaster, readers)));
            for (var i = 1; i <= 3; i++)
            {
                var clock = Stopwatch.StartNew();
                var seq = await app.Api.PushAsync(otherMaster, otherWorkspace, [(byte)i], Guid.NewGuid(), 1, Ct);
                var pulled = await app.Api.PullAsync(otherMaster, otherWorkspace, seq - 1, Ct);
                Assert.Equal((long)i, seq);
                Assert.Equal([(byte)i], Assert.Single(pulled.Frames).Data);
                TestContext.Current.TestOutputHelper?.WriteLine($"push and pull {i}: {clock.Elapsed.TotalMilliseconds:F0} ms beside {Readers} slow readers");
            }
        }
        finally
        {
            foreach (var reader in readers)
            {
                reader.Dispose();
            }
        }
    }
}
