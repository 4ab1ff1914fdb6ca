using System.Net.WebSockets;
using System.Threading.Channels;
using SyncEngine.Client;

namespace Services.Sync.Tests.Integration;

/// <summary>
/// The far end of a socket, for tests that run a SocketSession directly (a fake of the device only; the session is
/// the real one, on the real store): it delivers the messages a test gives it and records what the session sends,
/// or, after <c>stallAfterSends</c> sends, completes no other until <see cref="ResumeReading"/> (a network that stopped
/// moving); it can also hold a message at its first fragment (<see cref="HoldFragments"/>). A send cancelled while it
/// waits aborts the socket, as a real one's does.
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
    private readonly TaskCompletionSource _stalled = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>As a real WebSocket does (the runtime's), a send that is cancelled while under way aborts the socket.</summary>
    private async Task WaitAsync(Task until, CancellationToken cancellationToken)
    {
        try
        {
            await until.WaitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            _state = WebSocketState.Aborted;
            throw;
        }
    }

    public void Receive(byte[] message) => _incoming.Writer.TryWrite(message);

    /// <summary>The device follows <paramref name="workspaceId"/> from <paramref name="after"/> (ref 1).</summary>
    public void Subscribe(Guid workspaceId, string token, long after = 0) =>
        Receive(SyncSocket.Message(new { type = "subscribe", @ref = 1, workspace = workspaceId, token, after }));

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
        if (ReferenceEquals(message, CloseAnswer))
        {
            return new WebSocketReceiveResult(0, WebSocketMessageType.Close, endOfMessage: true, ClosedWith, null);
        }

        message.CopyTo(buffer.AsSpan());
        return new WebSocketReceiveResult(message.Length, WebSocketMessageType.Binary, endOfMessage: true);
    }

    /// <summary>While set, a message's first fragment waits for it (the test then changes the store mid-message).</summary>
    public TaskCompletionSource? HoldFragments { get; set; }

    /// <summary>Set when a held fragment arrived.</summary>
    public TaskCompletionSource FragmentHeld { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>The stalled network moves again: sends held since <c>stallAfterSends</c> complete.</summary>
    public void ResumeReading() => _stalled.TrySetResult();

    public override async Task SendAsync(ArraySegment<byte> buffer, WebSocketMessageType messageType, bool endOfMessage, CancellationToken cancellationToken)
    {
        if (_state == WebSocketState.Aborted)
        {
            throw new WebSocketException(WebSocketError.InvalidState, "The socket was aborted.");
        }

        if (!endOfMessage && _fragments.Count == 0 && HoldFragments is { } hold)
        {
            FragmentHeld.TrySetResult();
            await WaitAsync(hold.Task, cancellationToken);
        }

        if (stallAfterSends is { } stall && _sends >= stall)
        {
            // The network stopped: this send completes once it moves again, or the session gives up (cancelling).
            await WaitAsync(_stalled.Task, cancellationToken);
        }

        _fragments.AddRange(buffer);
        if (endOfMessage)
        {
            _sends++;
            Sent.Writer.TryWrite([.. _fragments]);
            _fragments.Clear();
        }
    }

    /// <summary>The device's close frame, answering the session's.</summary>
    private static readonly byte[] CloseAnswer = [];

    public override Task CloseOutputAsync(WebSocketCloseStatus closeStatus, string? statusDescription, CancellationToken cancellationToken)
    {
        ClosedWith = closeStatus;
        _state = WebSocketState.CloseSent;
        _incoming.Writer.TryWrite(CloseAnswer);
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
