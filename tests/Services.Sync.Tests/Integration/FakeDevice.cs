using System.Net.WebSockets;
using System.Threading.Channels;
using SyncEngine.Client;

namespace Services.Sync.Tests.Integration;

/// <summary>
/// The far end of a socket, for tests that run a SocketSession directly (a fake of the device only; the session is
/// the real one, on the real store): it delivers the messages a test gives it and records what the session sends,
/// or, after <c>stallAfterSends</c> sends, never completes another (a network that stopped moving); it can also hold a
/// message at its first fragment (<see cref="HoldFragments"/>).
/// </summary>
public sealed class FakeDevice(int? stallAfterSends = null) : WebSocket
{
    private readonly Channel<byte[]> _incoming = Channel.CreateUnbounded<byte[]>();
    private WebSocketState _state = WebSocketState.Open;
    private int _sends;

    /// <summary>Whole messages the session sent (fragments joined).</summary>
    public Channel<byte[]> Sent { get; } = Channel.CreateUnbounded<byte[]>();

    public WebSocketCloseStatus? ClosedWith { get; private set; }

    private readonly List<byte> _fragments = [];
    private readonly TaskCompletionSource _never = new();

    public void Receive(byte[] message) => _incoming.Writer.TryWrite(message);

    /// <summary>The next message the session sent whose type is <paramref name="type"/>, others skipped.</summary>
    public async Task<SyncSocketMessage> NextAsync(string type, CancellationToken ct)
    {
        while (true)
        {
            var message = SyncSocketMessage.Read(await Sent.Reader.ReadAsync(ct));
            if (message.Type == type)
            {
                return message;
            }
        }
    }

    public override async Task<WebSocketReceiveResult> ReceiveAsync(ArraySegment<byte> buffer, CancellationToken cancellationToken)
    {
        var message = await _incoming.Reader.ReadAsync(cancellationToken);
        message.CopyTo(buffer.AsSpan());
        return new WebSocketReceiveResult(message.Length, WebSocketMessageType.Binary, endOfMessage: true);
    }

    /// <summary>While set, a message's first fragment waits for it (the test then changes the store mid-message).</summary>
    public TaskCompletionSource? HoldFragments { get; set; }

    /// <summary>Set when a held fragment arrived.</summary>
    public TaskCompletionSource FragmentHeld { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public override async Task SendAsync(ArraySegment<byte> buffer, WebSocketMessageType messageType, bool endOfMessage, CancellationToken cancellationToken)
    {
        if (!endOfMessage && _fragments.Count == 0 && HoldFragments is { } hold)
        {
            FragmentHeld.TrySetResult();
            await hold.Task.WaitAsync(cancellationToken);
        }

        if (stallAfterSends is { } stall && _sends >= stall)
        {
            // The network stopped: this send never completes; only the session giving up (cancelling) ends it.
            await _never.Task.WaitAsync(cancellationToken);
        }

        _fragments.AddRange(buffer);
        if (endOfMessage)
        {
            _sends++;
            Sent.Writer.TryWrite([.. _fragments]);
            _fragments.Clear();
        }
    }

    public override Task CloseOutputAsync(WebSocketCloseStatus closeStatus, string? statusDescription, CancellationToken cancellationToken)
    {
        ClosedWith = closeStatus;
        _state = WebSocketState.CloseSent;
        return Task.CompletedTask;
    }

    public override Task CloseAsync(WebSocketCloseStatus closeStatus, string? statusDescription, CancellationToken cancellationToken) =>
        CloseOutputAsync(closeStatus, statusDescription, cancellationToken);

    public override void Abort() => _state = WebSocketState.Aborted;
    public override WebSocketCloseStatus? CloseStatus => ClosedWith;
    public override string? CloseStatusDescription => null;
    public override WebSocketState State => _state;
    public override string? SubProtocol => SyncSocket.Subprotocol;
    public override void Dispose() { }
}
