using Microsoft.AspNetCore.Http;
using Services.Sync.Changes;
using Xunit;

namespace Services.Sync.Tests;

public sealed class RequestBodyTests
{
    private const int ChunkBytes = 64 * 1024;

    /// <summary>A body that never ends and counts what was taken from it.</summary>
    private sealed class EndlessBody : Stream
    {
        public long Served { get; private set; }

        public override int Read(byte[] buffer, int offset, int count)
        {
            buffer.AsSpan(offset, count).Fill(0x5A);
            Served += count;
            return count;
        }

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => Served; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    private static HttpRequest Request(Stream body, long? declaredLength = null)
    {
        var context = new DefaultHttpContext();
        context.Request.Body = body;
        context.Request.ContentLength = declaredLength;
        return context.Request;
    }

    [Theory]
    [InlineData(1)]
    [InlineData(100_000)]
    [InlineData(4 * 1024 * 1024)]
    public async Task an_endless_chunked_body_is_refused_after_reading_at_most_the_drain_ceiling_plus_one_chunk(int limit)
    {
        var body = new EndlessBody();

        var read = await RequestBody.ReadBoundedAsync(Request(body), limit, TestContext.Current.CancellationToken);

        Assert.Null(read);
        Assert.InRange(body.Served, RequestBody.DrainAtMostBytes, RequestBody.DrainAtMostBytes + ChunkBytes);
    }

    [Fact]
    public async Task a_chunked_body_over_the_limit_is_drained_and_refused()
    {
        // Refusing with the rest unread lets the connection reset overtake the 413 at the gateway (a 502).
        var body = new MemoryStream(new byte[300_000]);

        var read = await RequestBody.ReadBoundedAsync(Request(body), 10_000, TestContext.Current.CancellationToken);

        Assert.Null(read);
        Assert.Equal(300_000, body.Position);
    }

    [Fact]
    public async Task a_declared_length_over_the_drain_ceiling_is_refused_without_reading_a_byte()
    {
        var body = new EndlessBody();

        var read = await RequestBody.ReadBoundedAsync(
            Request(body, declaredLength: RequestBody.DrainAtMostBytes + 1), 10_000, TestContext.Current.CancellationToken);

        Assert.Null(read);
        Assert.Equal(0, body.Served);
    }

    [Fact]
    public async Task a_declared_length_over_the_limit_is_drained_and_refused()
    {
        var body = new MemoryStream(new byte[300_000]);

        var read = await RequestBody.ReadBoundedAsync(Request(body, declaredLength: 300_000), 10_000, TestContext.Current.CancellationToken);

        Assert.Null(read);
        Assert.Equal(300_000, body.Position);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(200_000)]
    public async Task a_body_up_to_the_limit_comes_back_whole(int length)
    {
        var bytes = Enumerable.Range(0, length).Select(i => (byte)(i % 251)).ToArray();

        var chunked = await RequestBody.ReadBoundedAsync(Request(new MemoryStream(bytes)), 200_000, TestContext.Current.CancellationToken);
        var declared = await RequestBody.ReadBoundedAsync(Request(new MemoryStream(bytes), length), 200_000, TestContext.Current.CancellationToken);

        Assert.Equal(bytes, chunked);
        Assert.Equal(bytes, declared);
    }

    [Fact]
    public async Task one_byte_over_the_limit_is_refused()
    {
        var read = await RequestBody.ReadBoundedAsync(Request(new MemoryStream(new byte[1001])), 1000, TestContext.Current.CancellationToken);

        Assert.Null(read);
    }
}
