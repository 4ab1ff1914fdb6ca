using System.Buffers.Binary;
using System.Net;
using System.Net.WebSockets;
using System.Text;
using System.Threading.Channels;
using Microsoft.Extensions.DependencyInjection;
using Services.Sync.Realtime;
using SyncEngine.Client;
using SyncSocket = SyncEngine.Client.SyncSocket;
using SyncEngine.Testing;
using Xunit;
using static SyncEngine.Testing.TestData;

namespace Services.Sync.Tests.Integration;

/// <summary>
/// Bad input on the socket: each gets an <c>error</c> with the HTTP routes' code, or a close with a documented code;
/// the socket survives what it can, and nothing is ever stored.
/// </summary>
public sealed class SyncSocketHostileTests(SyncService sync)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private static readonly TimeSpan Wait = SyncSocketAnswers.Wait;

    private static async Task<SyncSocketMessage> ExpectError(SyncSocket socket, int status, string code, long? reference = null)
    {
        var message = await socket.NextAnswerAsync();
        Assert.NotNull(message);
        Assert.True(message.Type == "error", $"Expected an error, got {message.Type}: {message.Header}");
        Assert.Equal((status, code, reference), (message.Status!.Value, message.Code, message.Ref));
        Assert.False(string.IsNullOrEmpty(message.Header.GetProperty("detail").GetString()));
        return message;
    }

    private async Task<(Guid WorkspaceId, string Master, SyncSocket Socket)> SubscribedAsync()
    {
        var (workspaceId, _, master) = await sync.NewWorkspaceAsync();
        var socket = await sync.OpenSocketAsync();
        await socket.SubscribeAsync(1, workspaceId, master, 0, Ct);
        Assert.Equal("subscribed", (await socket.NextAnswerAsync())!.Type);
        return (workspaceId, master, socket);
    }

    private static byte[] Raw(string header, byte[]? payload = null, int? declaredLength = null)
    {
        var json = Encoding.UTF8.GetBytes(header);
        var message = new byte[2 + json.Length + (payload?.Length ?? 0)];
        BinaryPrimitives.WriteUInt16BigEndian(message, (ushort)(declaredLength ?? json.Length));
        json.CopyTo(message, 2);
        payload?.CopyTo(message, 2 + json.Length);
        return message;
    }

    [Fact]
    public async Task a_plain_get_of_the_socket_route_is_400_invalid_request()
    {
        using var response = await sync.Http.GetAsync("/api/sync", Ct);
        await Problems.AssertProblem(response, HttpStatusCode.BadRequest, "invalid-request");
    }

    [Fact]
    public async Task malformed_messages_get_invalid_request_errors_and_the_socket_keeps_working()
    {
        var (workspaceId, master, socket) = await SubscribedAsync();
        await using var _ = socket;

        await socket.SendAsync(Raw($$"""{"type":"teleport","ref":5,"workspace":"{{workspaceId}}"}"""), Ct);
        await ExpectError(socket, 400, "invalid-request", 5);
        await socket.SendAsync(Raw("""{"type":"push","ref":6}""", declaredLength: 400), Ct);
        await ExpectError(socket, 400, "invalid-request");
        await socket.SendAsync(new byte[] { 0 }, Ct);
        await ExpectError(socket, 400, "invalid-request");
        await socket.SendAsync(Raw("not json"), Ct);
        await ExpectError(socket, 400, "invalid-request");
        await socket.SendAsync(Raw("[1,2]"), Ct);
        await ExpectError(socket, 400, "invalid-request");
        await socket.SendAsync(Raw("""{"type":"push","workspace":"nope","ref":7}"""), Ct);
        await ExpectError(socket, 400, "invalid-request", 7);
        await socket.SendAsync(Raw($$"""{"type":"push","workspace":"{{workspaceId}}","key":"{{Guid.NewGuid()}}","version":1}""", [1]), Ct);
        await ExpectError(socket, 400, "invalid-request");
        await socket.SendAsync(Raw($$"""{"type":"subscribe","ref":-1,"workspace":"{{workspaceId}}","token":"x"}"""), Ct);
        await ExpectError(socket, 400, "invalid-request");
        await socket.Socket.SendAsync(Encoding.UTF8.GetBytes("""{"type":"push"}"""), WebSocketMessageType.Text, true, Ct);
        await ExpectError(socket, 400, "invalid-request");

        // Still open: a valid push is stored, and it is the first.
        await socket.PushAsync(8, workspaceId, Guid.NewGuid(), 1, [1, 2], Ct);
        Assert.Equal(1, (await socket.NextAsync(m => m.Type == "ack", Wait, Ct))!.Long("seq"));
        Assert.Equal(1, (await sync.Api.PullAsync(master, workspaceId, 0, Ct)).Head);
    }

    [Fact]
    public async Task pushes_the_http_route_would_refuse_are_refused_with_its_codes_and_store_nothing()
    {
        var (workspaceId, master, socket) = await SubscribedAsync();
        await using var _ = socket;
        var key = Guid.NewGuid().ToString();

        await socket.SendAsync(Raw($$"""{"type":"push","ref":1,"workspace":"{{workspaceId}}","key":"{{key}}"}""", [1]), Ct);
        await ExpectError(socket, 400, "missing-version", 1);
        await socket.SendAsync(Raw($$"""{"type":"push","ref":2,"workspace":"{{workspaceId}}","key":"{{key}}","version":"one"}""", [1]), Ct);
        await ExpectError(socket, 400, "invalid-request", 2);
        await socket.SendAsync(Raw($$"""{"type":"push","ref":3,"workspace":"{{workspaceId}}","key":"{{key}}","version":99}""", [1]), Ct);
        var unknown = await ExpectError(socket, 400, "unknown-version", 3);
        Assert.Equal(SyncService.MaxSchemaVersion, unknown.Long("maxSchemaVersion"));
        await socket.SendAsync(Raw($$"""{"type":"push","ref":4,"workspace":"{{workspaceId}}","key":"not-a-uuid","version":1}""", [1]), Ct);
        await ExpectError(socket, 400, "invalid-request", 4);
        await socket.SendAsync(Raw($$"""{"type":"push","ref":5,"workspace":"{{workspaceId}}","key":"{{key}}","version":1}"""), Ct);
        await ExpectError(socket, 400, "invalid-request", 5);
        await socket.PushAsync(6, workspaceId, Guid.NewGuid(), 1, LoroExports.Update[..^3], Ct);
        await ExpectError(socket, 422, "invalid-document", 6);

        // A workspace this socket has not subscribed to: it holds no token for it.
        var (other, _, otherMaster) = await sync.NewWorkspaceAsync();
        await socket.PushAsync(7, other, Guid.NewGuid(), 1, [1], Ct);
        await ExpectError(socket, 401, "unauthorized", 7);

        Assert.Equal(0, (await sync.Api.PullAsync(master, workspaceId, 0, Ct)).Head);
        Assert.Equal(0, (await sync.Api.PullAsync(otherMaster, other, 0, Ct)).Head);
    }

    [Fact]
    public async Task a_read_only_token_subscribes_but_its_pushes_are_403()
    {
        var (workspaceId, _, master) = await sync.NewWorkspaceAsync();
        await using var socket = await sync.OpenSocketAsync();
        await socket.SubscribeAsync(1, workspaceId, sync.NewMember(workspaceId, "read").Token, 0, Ct);
        Assert.Equal("subscribed", (await socket.NextAnswerAsync())!.Type);
        await socket.PushAsync(2, workspaceId, Guid.NewGuid(), 1, [1], Ct);
        await ExpectError(socket, 403, "forbidden", 2);
        Assert.Equal(0, (await sync.Api.PullAsync(master, workspaceId, 0, Ct)).Head);
    }

    [Fact]
    public async Task subscribing_with_a_bad_forged_expired_or_other_workspaces_token_is_refused_as_the_http_routes_refuse_it()
    {
        var (workspaceId, owner, _) = await sync.NewWorkspaceAsync();
        var (other, _, otherMaster) = await sync.NewWorkspaceAsync();
        await using var socket = await sync.OpenSocketAsync();

        await socket.SubscribeAsync(1, workspaceId, "garbage", 0, Ct);
        await ExpectError(socket, 401, "unauthorized", 1);
        await socket.SubscribeAsync(2, workspaceId, ForgedTokens.AlgNone(ForgedTokens.Claims(workspaceId, owner), "any"), 0, Ct);
        await ExpectError(socket, 401, "unauthorized", 2);
        var expired = sync.Signer.Issue(workspaceId, Guid.NewGuid(), "read", issuedAt: DateTimeOffset.UtcNow.AddHours(-2),
            expires: DateTimeOffset.UtcNow.AddHours(-1));
        await socket.SubscribeAsync(3, workspaceId, expired, 0, Ct);
        await ExpectError(socket, 401, "unauthorized", 3);
        await socket.SubscribeAsync(4, workspaceId, otherMaster, 0, Ct);
        await ExpectError(socket, 403, "forbidden", 4);
        await socket.SendAsync(Raw($$"""{"type":"subscribe","ref":5,"workspace":"{{Guid.NewGuid()}}"}"""), Ct);
        await ExpectError(socket, 400, "invalid-request", 5);

        // Nothing was subscribed: a push to the workspace is still one without a token.
        await socket.PushAsync(6, workspaceId, Guid.NewGuid(), 1, [1], Ct);
        await ExpectError(socket, 401, "unauthorized", 6);
        _ = other;
    }

    [Fact]
    public async Task a_socket_follows_at_most_max_subscriptions_per_socket_workspaces()
    {
        await using var socket = await sync.OpenSocketAsync();
        for (var i = 0; i < SyncService.MaxSubscriptionsPerSocket; i++)
        {
            var (workspaceId, _, master) = await sync.NewWorkspaceAsync();
            await socket.SubscribeAsync(i, workspaceId, master, 0, Ct);
            Assert.Equal("subscribed", (await socket.NextAnswerAsync())!.Type);
        }

        var (beyond, _, beyondMaster) = await sync.NewWorkspaceAsync();
        await socket.SubscribeAsync(99, beyond, beyondMaster, 0, Ct);
        var refused = await ExpectError(socket, 403, "quota-exceeded", 99);
        Assert.Equal(RealtimeQuota, refused.Header.GetProperty("quota").GetString());
        Assert.Equal(SyncService.MaxSubscriptionsPerSocket, refused.Long("limit"));
    }

    private const string RealtimeQuota = SocketSession.MaxSubscriptionsPerSocket;

    [Fact]
    public async Task a_message_over_the_size_limit_closes_the_socket_with_1009_and_stores_nothing()
    {
        var (workspaceId, master, socket) = await SubscribedAsync();
        await using var _ = socket;
        await socket.PushAsync(1, workspaceId, Guid.NewGuid(), 1, new byte[SyncService.MaxChangeBytes + 20 * 1024], Ct);
        Assert.Null(await socket.NextAsync(_ => false, Wait, Ct));
        Assert.Equal(WebSocketCloseStatus.MessageTooBig, socket.Socket.CloseStatus);
        Assert.Equal(0, (await sync.Api.PullAsync(master, workspaceId, 0, Ct)).Head);
    }

    [Fact]
    public async Task a_flood_of_messages_closes_the_socket_with_4029()
    {
        var (workspaceId, master, socket) = await SubscribedAsync();
        await using var _ = socket;
        var junk = Raw("""{"type":"junk","ref":1}""");
        try
        {
            for (var i = 0; i < SyncService.SocketMessagesPerSecond * 2; i++)
            {
                await socket.SendAsync(junk, Ct);
            }
        }
        catch (WebSocketException)
        {
            // Closed while still sending: the point of the test.
        }

        Assert.Null(await socket.NextAsync(_ => false, Wait, Ct));
        Assert.Equal(SocketSession.TooManyMessages, socket.Socket.CloseStatus);
        Assert.Equal(0, (await sync.Api.PullAsync(master, workspaceId, 0, Ct)).Head);
    }

    [Fact]
    public async Task a_device_that_reads_too_slowly_is_disconnected_with_4008_once_its_queue_passes_the_bound_and_resumes_from_its_cursor()
    {
        var (workspaceId, _, master) = await sync.NewWorkspaceAsync();
        for (var i = 0; i < 2; i++)
        {
            await sync.Api.PushAsync(master, workspaceId, Bytes(100, i), Guid.NewGuid(), 1, Ct);
        }

        // It reads two messages (subscribed, then the catch-up of seqs 1 and 2), then nothing more.
        var device = new FakeDevice(stallAfterSends: 2);
        device.Subscribe(workspaceId, master);
        var session = sync.RunSessionAsync(device, Ct);

        // Changes of 16 KiB until the queue passes its bound (256 KiB here): about sixteen; twenty pass it.
        for (var i = 0; i < 20; i++)
        {
            await sync.Api.PushAsync(master, workspaceId, Bytes(16 * 1024, 10 + i), Guid.NewGuid(), 1, Ct);
        }

        // A slow device, not a dead one: its send under way completes (within the close's grace period), and the
        // close frame follows it.
        device.ResumeReading();
        await session.WaitAsync(Wait, Ct);
        Assert.Equal(SocketSession.TooSlow, device.ClosedWith);

        // Its cursor is the last seq it received (2, unless a heartbeat took the second message); nothing of the
        // changes queued for it is lost: subscribing again from that cursor brings exactly the seqs after it.
        device.Sent.Writer.TryComplete();
        var cursor = 0L;
        await foreach (var sent in device.Sent.Reader.ReadAllAsync(Ct))
        {
            if (SyncSocketMessage.Read(sent) is { Type: "changes" } changes)
            {
                cursor = changes.Frames[^1].Seq;
            }
        }

        var head = (await sync.Api.PullAsync(master, workspaceId, 0, Ct)).Head;
        Assert.True(head > 2 + 10, $"only {head} changes were pushed before the close");
        await using var resumed = await sync.OpenSocketAsync();
        await resumed.SubscribeAsync(2, workspaceId, master, cursor, Ct);
        Assert.Equal("subscribed", (await resumed.NextAnswerAsync())!.Type);
        var received = new List<long>();
        while (received.Count == 0 || received[^1] < head)
        {
            var changes = await resumed.NextAnswerAsync();
            Assert.NotNull(changes);
            Assert.True(changes.Type == "changes", $"expected the changes after {cursor}, got {changes.Header}");
            received.AddRange(changes.Frames.Select(f => f.Seq));
        }

        Assert.Equal(Enumerable.Range((int)cursor + 1, (int)(head - cursor)).Select(seq => (long)seq), received);
    }
}
