using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using Services.Sync.Changes;
using Services.Sync.Realtime;
using SyncEngine.ServiceDefaults.Problems;
using Xunit;

namespace Services.Sync.Tests;

/// <summary>The socket's framing (docs/protocol.md, "Realtime channel"), read and written without a socket.</summary>
public sealed class SocketMessagesTests
{
    private static readonly Guid Workspace = Guid.Parse("0b7e4a52-5d1e-4c11-9a43-2f1d3c9e8a10");

    private static byte[] Message(string header, byte[]? payload = null)
    {
        var json = Encoding.UTF8.GetBytes(header);
        var message = new byte[2 + json.Length + (payload?.Length ?? 0)];
        BinaryPrimitives.WriteUInt16BigEndian(message, (ushort)json.Length);
        json.CopyTo(message, 2);
        payload?.CopyTo(message, 2 + json.Length);
        return message;
    }

    private static string Refused(byte[] message)
    {
        var (request, unreadable) = SocketMessages.Parse(message);
        Assert.Null(request);
        Assert.Equal(ProblemCodes.InvalidRequest, unreadable!.Problem.Extensions["code"]);
        return unreadable.Problem.Detail!;
    }

    [Fact]
    public void a_subscribe_is_read_with_its_ref_workspace_token_and_cursor()
    {
        var (request, _) = SocketMessages.Parse(Message($$"""{"type":"subscribe","ref":7,"workspace":"{{Workspace}}","token":"t.o.k","after":12}"""));
        Assert.Equal(new SocketMessages.Request("subscribe", 7, Workspace, "t.o.k", 12, null, null, ReadOnlyMemory<byte>.Empty),
            request! with { Payload = ReadOnlyMemory<byte>.Empty });
    }

    [Fact]
    public void a_push_keeps_its_payload_byte_for_byte_and_its_version_as_written()
    {
        var key = Guid.NewGuid();
        var (request, _) = SocketMessages.Parse(Message($$"""{"type":"push","ref":1,"workspace":"{{Workspace}}","key":"{{key}}","version":2}""", [0, 1, 255]));
        Assert.Equal(("push", key.ToString(), "2"), (request!.Type, request.Key, request.Version));
        Assert.Equal([0, 1, 255], request.Payload.ToArray());
    }

    [Fact]
    public void a_subscribe_without_after_starts_from_zero()
    {
        var (request, _) = SocketMessages.Parse(Message($$"""{"type":"subscribe","ref":0,"workspace":"{{Workspace}}","token":"x"}"""));
        Assert.Equal(0, request!.After);
    }

    [Theory]
    [InlineData("""{"type":"subscribe","ref":1,"workspace":"00000000-0000-0000-0000-00000000000g","token":"x"}""", "workspace")]
    [InlineData("""{"type":"subscribe","ref":1.5,"workspace":"0b7e4a52-5d1e-4c11-9a43-2f1d3c9e8a10","token":"x"}""", "ref")]
    [InlineData("""{"type":"subscribe","ref":9007199254740992,"workspace":"0b7e4a52-5d1e-4c11-9a43-2f1d3c9e8a10","token":"x"}""", "ref")]
    [InlineData("""{"type":"subscribe","workspace":"0b7e4a52-5d1e-4c11-9a43-2f1d3c9e8a10","token":"x"}""", "ref")]
    [InlineData("""{"type":"subscribe","ref":1,"token":"x"}""", "workspace")]
    [InlineData("""{"type":"subscribe","ref":1,"workspace":"0b7e4a52-5d1e-4c11-9a43-2f1d3c9e8a10"}""", "token")]
    [InlineData("""{"type":"subscribe","ref":1,"workspace":"0b7e4a52-5d1e-4c11-9a43-2f1d3c9e8a10","token":"x","after":-1}""", "after")]
    [InlineData("""{"type":"subscribe","ref":1,"workspace":"0b7e4a52-5d1e-4c11-9a43-2f1d3c9e8a10","token":"x","after":"3"}""", "after")]
    [InlineData("""{"ref":1,"workspace":"0b7e4a52-5d1e-4c11-9a43-2f1d3c9e8a10"}""", "type")]
    [InlineData("""{"type":"ack","ref":1,"workspace":"0b7e4a52-5d1e-4c11-9a43-2f1d3c9e8a10"}""", "Unknown message type")]
    [InlineData("""[]""", "object")]
    [InlineData("""{"type":""", "JSON")]
    public void a_malformed_header_is_invalid_request_naming_what_is_wrong(string header, string named) =>
        Assert.Contains(named, Refused(Message(header)));

    [Fact]
    public void a_message_shorter_than_its_header_says_is_truncated()
    {
        var message = Message("""{"type":"push"}""");
        BinaryPrimitives.WriteUInt16BigEndian(message, 200);
        Assert.Contains("truncated", Refused(message));
        Assert.Contains("length", Refused([7]));
        Assert.Contains("1 to", Refused([0, 0]));
    }

    [Fact]
    public void only_a_push_carries_a_payload()
    {
        Assert.Contains("no payload", Refused(Message($$"""{"type":"unsubscribe","ref":1,"workspace":"{{Workspace}}"}""", [1])));
    }

    [Fact]
    public void a_refusal_keeps_the_ref_and_workspace_it_could_read()
    {
        var (_, unreadable) = SocketMessages.Parse(Message($$"""{"type":"nope","ref":4,"workspace":"{{Workspace}}"}"""));
        Assert.Equal((4L, Workspace), (unreadable!.Ref, unreadable.Workspace));
    }

    [Fact]
    public void server_messages_are_a_length_a_json_header_and_a_payload()
    {
        var message = SocketMessages.OneChange(Workspace, 5, [9, 8, 7]);
        var headerLength = BinaryPrimitives.ReadUInt16BigEndian(message);
        using var header = JsonDocument.Parse(message.AsMemory(2, headerLength));
        Assert.Equal($$"""{"type":"changes","workspace":"{{Workspace}}","head":5}""", header.RootElement.GetRawText());
        var frame = message.AsSpan(2 + headerLength);
        Assert.Equal(ChangeFrames.Change, frame[0]);
        Assert.Equal(5, BinaryPrimitives.ReadInt64BigEndian(frame[1..]));
        Assert.Equal(3u, BinaryPrimitives.ReadUInt32BigEndian(frame[9..]));
        Assert.Equal([9, 8, 7], frame[13..].ToArray());
    }

    [Fact]
    public void an_error_carries_the_problems_status_code_detail_and_extensions()
    {
        var problem = SyncProblems.QuotaExceeded(100, 90);
        var message = SocketMessages.Error(problem, 3, Workspace);
        using var header = JsonDocument.Parse(message.AsMemory(2));
        var root = header.RootElement;
        Assert.Equal(("error", 3, 403, "quota-exceeded", 100, 90),
            (root.GetProperty("type").GetString(), root.GetProperty("ref").GetInt64(), root.GetProperty("status").GetInt32(),
             root.GetProperty("code").GetString(), root.GetProperty("limit").GetInt64(), root.GetProperty("used").GetInt64()));
        Assert.Equal(message.Length - 2, BinaryPrimitives.ReadUInt16BigEndian(message));
    }

    [Fact]
    public void the_worked_example_of_the_protocol_document_is_what_the_server_writes()
    {
        // docs/protocol.md, "Worked example on the socket".
        var ack = SocketMessages.Ack(1, Workspace, 5, replayed: false, cursor: 5);
        Assert.Equal("006D", Convert.ToHexString(ack[..2]));
        Assert.Equal($$"""{"type":"ack","ref":1,"workspace":"{{Workspace}}","seq":5,"replayed":false,"cursor":5}""", Encoding.UTF8.GetString(ack[2..]));

        var changes = SocketMessages.OneChange(Workspace, 6, "?"u8.ToArray());
        Assert.Equal(94, changes.Length);
        Assert.Equal("004E", Convert.ToHexString(changes[..2]));
        Assert.Equal("020000000000000006000000013F", Convert.ToHexString(changes[^14..]));

        var push = Message($$"""{"type":"push","ref":1,"workspace":"{{Workspace}}","key":"5f0c8d8e-2a47-4b4e-9a6c-3f1b2d7e9c01","version":1}""", "!"u8.ToArray());
        Assert.Equal("0083", Convert.ToHexString(push[..2]));
        var (request, _) = SocketMessages.Parse(push);
        Assert.Equal(("push", 1L, "5f0c8d8e-2a47-4b4e-9a6c-3f1b2d7e9c01", "1"), (request!.Type, request.Ref, request.Key, request.Version));
        Assert.Equal("!"u8.ToArray(), request.Payload.ToArray());

        var subscribed = SocketMessages.Subscribed(0, Workspace, head: 4, schemaVersion: 1);
        Assert.Equal(109, subscribed.Length);
        Assert.Equal("006B", Convert.ToHexString(subscribed[..2]));
        Assert.Equal($$"""{"type":"subscribed","ref":0,"workspace":"{{Workspace}}","head":4,"schemaVersion":1}""", Encoding.UTF8.GetString(subscribed[2..]));

        // The header of a subscribe is 100 bytes and the token's.
        var token = new string('t', 600);
        var subscribe = Message($$"""{"type":"subscribe","ref":0,"workspace":"{{Workspace}}","token":"{{token}}","after":4}""", []);
        Assert.Equal("02BC", Convert.ToHexString(subscribe[..2]));
        var (subscription, _) = SocketMessages.Parse(subscribe);
        Assert.Equal(("subscribe", 0L, token, 4L), (subscription!.Type, subscription.Ref, subscription.Token, subscription.After));

        var outdated = PushChange.Refusal(new PushOutcome.Outdated(1), new PushHeaders(Guid.NewGuid(), 0),
            new MaxSchemaVersion.Limits(2, 1024, 1024));
        var error = SocketMessages.Error(outdated, 1, Workspace);
        Assert.Equal(234, error.Length);
        Assert.Equal("00E8", Convert.ToHexString(error[..2]));
        Assert.Equal($$"""{"type":"error","ref":1,"workspace":"{{Workspace}}","status":409,"detail":"This workspace is at schema version 1; the app sent 0. Update the app, then push again.","code":"outdated-version","currentVersion":1}""",
            Encoding.UTF8.GetString(error[2..]));
    }
}
