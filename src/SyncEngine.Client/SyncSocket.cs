using System.Buffers;
using System.Buffers.Binary;
using System.Net.WebSockets;
using System.Text.Json;

namespace SyncEngine.Client;

/// <summary>
/// A message of the realtime channel (docs/protocol.md, "Realtime channel"): its header's <c>type</c>, the header, and
/// the payload (for <c>changes</c>, pull frames).
/// </summary>
public sealed record SyncSocketMessage(string Type, JsonElement Header, byte[] Payload)
{
    /// <summary>The workspace the message concerns, if any.</summary>
    public Guid? Workspace => Header.TryGetProperty("workspace", out var w) && w.TryGetGuid(out var id) ? id : null;
    /// <summary>The ref of the request the message answers, if any.</summary>
    public long? Ref => Header.TryGetProperty("ref", out var r) ? r.GetInt64() : null;
    /// <summary>An <c>error</c>'s problem code.</summary>
    public string? Code => Header.TryGetProperty("code", out var c) ? c.GetString() : null;
    /// <summary>An <c>error</c>'s HTTP status equivalent.</summary>
    public int? Status => Header.TryGetProperty("status", out var s) ? s.GetInt32() : null;
    /// <summary>A header field that is a number.</summary>
    public long Long(string name) => Header.GetProperty(name).GetInt64();

    /// <summary>A <c>changes</c> message's frames.</summary>
    public IReadOnlyList<SyncFrame> Frames => SyncFrameReader.Read(Payload);

    /// <summary>Reads one whole message: [header length: uint16 BE][header JSON][payload].</summary>
    public static SyncSocketMessage Read(ReadOnlySpan<byte> message)
    {
        var headerLength = BinaryPrimitives.ReadUInt16BigEndian(message);
        using var header = JsonDocument.Parse(message.Slice(2, headerLength).ToArray());
        var root = header.RootElement.Clone();
        return new SyncSocketMessage(root.GetProperty("type").GetString()!, root, message[(2 + headerLength)..].ToArray());
    }
}

/// <summary>
/// One device's socket to <c>GET /api/sync</c>, subprotocol <c>syncengine.v1</c>: send requests, read messages in
/// order. Not a sync engine: the caller keeps cursors and documents. One reader and one writer at a time.
/// </summary>
public sealed class SyncSocket(WebSocket socket) : IAsyncDisposable
{
    /// <summary>The WebSocket subprotocol the server speaks.</summary>
    public const string Subprotocol = "syncengine.v1";

    private readonly ArrayBufferWriter<byte> _received = new(16 * 1024);
    private readonly SemaphoreSlim _sending = new(1, 1);

    /// <summary>The underlying socket (its close status once closed).</summary>
    public WebSocket Socket { get; } = socket;

    /// <summary>Opens a socket to the gateway (or a Sync replica) at <paramref name="baseAddress"/>.</summary>
    /// <param name="baseAddress">The gateway (or a Sync replica).</param>
    /// <param name="ct">Cancels the connect.</param>
    /// <param name="origin">An Origin header, as a browser on that origin sends it (tests of the gateway's origin rules).</param>
    public static async Task<SyncSocket> ConnectAsync(Uri baseAddress, CancellationToken ct, string? origin = null)
    {
        var socket = new ClientWebSocket();
        socket.Options.AddSubProtocol(Subprotocol);
        if (origin is not null)
        {
            socket.Options.SetRequestHeader("Origin", origin);
        }

        var uri = new UriBuilder(new Uri(baseAddress, "/api/sync")) { Scheme = baseAddress.Scheme == "https" ? "wss" : "ws" }.Uri;
        await socket.ConnectAsync(uri, ct);
        return new SyncSocket(socket);
    }

    /// <summary>Follows a workspace from <paramref name="after"/> with its token.</summary>
    public Task SubscribeAsync(long reference, Guid workspaceId, string token, long after, CancellationToken ct) =>
        SendAsync(Message(new { type = "subscribe", @ref = reference, workspace = workspaceId, token, after }), ct);

    /// <summary>Stops following a workspace.</summary>
    public Task UnsubscribeAsync(long reference, Guid workspaceId, CancellationToken ct) =>
        SendAsync(Message(new { type = "unsubscribe", @ref = reference, workspace = workspaceId }), ct);

    /// <summary>Pushes a change; answered by <c>ack</c> or <c>error</c> with the same ref.</summary>
    public Task PushAsync(long reference, Guid workspaceId, Guid idempotencyKey, int schemaVersion, ReadOnlySpan<byte> change, CancellationToken ct) =>
        SendAsync(Message(new { type = "push", @ref = reference, workspace = workspaceId, key = idempotencyKey, version = schemaVersion }, change), ct);

    /// <summary>A message: [header length: uint16 BE][header JSON][payload].</summary>
    public static byte[] Message(object header, ReadOnlySpan<byte> payload = default)
    {
        var json = JsonSerializer.SerializeToUtf8Bytes(header);
        var message = new byte[2 + json.Length + payload.Length];
        BinaryPrimitives.WriteUInt16BigEndian(message, (ushort)json.Length);
        json.CopyTo(message, 2);
        payload.CopyTo(message.AsSpan(2 + json.Length));
        return message;
    }

    /// <summary>Sends raw bytes as one binary message (tests send malformed ones).</summary>
    public async Task SendAsync(ReadOnlyMemory<byte> message, CancellationToken ct)
    {
        await _sending.WaitAsync(ct);
        try
        {
            await Socket.SendAsync(message, WebSocketMessageType.Binary, endOfMessage: true, ct);
        }
        finally
        {
            _sending.Release();
        }
    }

    /// <summary>The next message, or null once the server closed the socket (see <see cref="WebSocket.CloseStatus"/>).</summary>
    public async Task<SyncSocketMessage?> ReceiveAsync(CancellationToken ct)
    {
        _received.ResetWrittenCount();
        ValueWebSocketReceiveResult result;
        do
        {
            try
            {
                result = await Socket.ReceiveAsync(_received.GetMemory(16 * 1024), ct);
            }
            catch (WebSocketException)
            {
                return null;
            }

            if (result.MessageType == WebSocketMessageType.Close)
            {
                return null;
            }

            _received.Advance(result.Count);
        }
        while (!result.EndOfMessage);

        return SyncSocketMessage.Read(_received.WrittenSpan);
    }

    /// <summary>The next message matching <paramref name="match"/> (others skipped), or null if the socket closed first or time ran out.</summary>
    public async Task<SyncSocketMessage?> NextAsync(Func<SyncSocketMessage, bool> match, TimeSpan within, CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(within);
        try
        {
            while (await ReceiveAsync(timeout.Token) is { } message)
            {
                if (match(message))
                {
                    return message;
                }
            }
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
        }

        return null;
    }

    /// <summary>Closes the socket normally.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Socket.State == WebSocketState.Open)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            try
            {
                await Socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "", timeout.Token);
            }
            catch (Exception e) when (e is WebSocketException or OperationCanceledException)
            {
            }
        }

        Socket.Dispose();
        _sending.Dispose();
    }
}
