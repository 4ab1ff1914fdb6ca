using System.Net.WebSockets;

namespace Services.Sync.Realtime;

/// <summary>
/// Writes one WebSocket message in fragments of at most 64 KiB as its bytes come, so a catch-up of many megabytes (a
/// snapshot read in chunks, pages of changes) never sits whole in the server's memory: the pull's writer streams into
/// it as it streams into an HTTP body. <see cref="EndAsync"/> sends the message's last fragment.
/// </summary>
/// <param name="sends">Cancels a fragment's send under way (which aborts the socket); the token a write is given stops
/// the message before its next fragment instead.</param>
public sealed class SocketMessageStream(WebSocket socket, CancellationToken sends) : Stream
{
    private const int FragmentBytes = 64 * 1024;
    private readonly byte[] _buffer = new byte[FragmentBytes];
    private int _buffered;

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        while (buffer.Length > 0)
        {
            var take = Math.Min(buffer.Length, FragmentBytes - _buffered);
            buffer[..take].CopyTo(_buffer.AsMemory(_buffered));
            _buffered += take;
            buffer = buffer[take..];
            if (_buffered == FragmentBytes)
            {
                cancellationToken.ThrowIfCancellationRequested();
                await socket.SendAsync(_buffer.AsMemory(0, _buffered), WebSocketMessageType.Binary, endOfMessage: false, sends);
                _buffered = 0;
            }
        }
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    /// <summary>Sends what is buffered as the message's final fragment.</summary>
    public async Task EndAsync(CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        await socket.SendAsync(_buffer.AsMemory(0, _buffered), WebSocketMessageType.Binary, endOfMessage: true, sends);
    }

    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException("Write asynchronously.");
}
