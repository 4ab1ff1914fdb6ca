using Services.Sync.Changes;
using Xunit;

namespace Services.Sync.Tests;

public sealed class ChangeFramesTests
{
    [Fact]
    public async Task frames_are_the_worked_example_of_the_protocol_document()
    {
        using var body = new MemoryStream();
        var ct = TestContext.Current.CancellationToken;

        var written = await ChangeFrames.WriteAsync(body, ChangeFrames.Snapshot, 1, "snap"u8.ToArray(), ct)
            + await ChangeFrames.WriteAsync(body, ChangeFrames.Change, 2, "!"u8.ToArray(), ct);

        // docs/protocol.md, "Worked example": a snapshot covering seq 1, then change 2.
        Assert.Equal(Convert.FromHexString("01000000000000000100000004736E6170" + "0200000000000000020000000121"), body.ToArray());
        Assert.Equal(body.Length, written);
    }

    [Fact]
    public async Task the_seq_and_length_are_big_endian_and_the_payload_goes_out_untouched()
    {
        using var body = new MemoryStream();
        var payload = Enumerable.Range(0, 300).Select(i => (byte)i).ToArray();

        var written = await ChangeFrames.WriteAsync(body, ChangeFrames.Change, 0x0102030405060708, payload, TestContext.Current.CancellationToken);

        var bytes = body.ToArray();
        Assert.Equal(ChangeFrames.HeaderLength + 300, written);
        Assert.Equal(ChangeFrames.Change, bytes[0]);
        Assert.Equal(new byte[] { 1, 2, 3, 4, 5, 6, 7, 8 }, bytes[1..9]);
        Assert.Equal(new byte[] { 0, 0, 1, 0x2C }, bytes[9..13]);
        Assert.Equal(payload, bytes[13..]);
    }

    [Fact]
    public async Task an_empty_payload_is_a_header_alone()
    {
        using var body = new MemoryStream();

        var written = await ChangeFrames.WriteAsync(body, ChangeFrames.Snapshot, 7, [], TestContext.Current.CancellationToken);

        Assert.Equal(Convert.FromHexString("01000000000000000700000000"), body.ToArray());
        Assert.Equal(13, written);
    }

    [Fact]
    public async Task a_header_then_the_payload_in_chunks_is_the_same_frame_as_one_write()
    {
        var ct = TestContext.Current.CancellationToken;
        var payload = Enumerable.Range(0, 2500).Select(i => (byte)(i % 251)).ToArray();
        using var whole = new MemoryStream();
        await ChangeFrames.WriteAsync(whole, ChangeFrames.Snapshot, 42, payload, ct);

        using var chunked = new MemoryStream();
        await ChangeFrames.WriteHeaderAsync(chunked, ChangeFrames.Snapshot, 42, payload.Length, ct);
        foreach (var chunk in payload.Chunk(1000))
        {
            await chunked.WriteAsync(chunk, ct);
        }

        Assert.Equal(whole.ToArray(), chunked.ToArray());
    }
}
