using System.Buffers;
using System.Buffers.Binary;
using System.Text.Json;
using Microsoft.AspNetCore.Mvc;
using Services.Sync.Changes;

namespace Services.Sync.Realtime;

/// <summary>
/// The socket's messages (docs/protocol.md, "Realtime channel"): each is one binary WebSocket message of
/// [header length: uint16 big-endian][header: a UTF-8 JSON object with a <c>type</c>][payload: the rest, may be empty].
/// JSON keeps every field named and extensible; the payload carries document bytes as they are, never base64.
/// Parsing is pure and strict: anything malformed is an <c>invalid-request</c> problem, never an exception.
/// </summary>
public static class SocketMessages
{
    public const string Subprotocol = "syncengine.v1";

    /// <summary>Largest header accepted: a token is about 1 KB, so 16 KiB leaves room without letting headers be documents.</summary>
    public const int MaxHeaderBytes = 16 * 1024;

    public const string Subscribe = "subscribe";
    public const string Unsubscribe = "unsubscribe";
    public const string Push = "push";

    /// <summary>
    /// A client's message. <paramref name="Ref"/> is the client's own number for a request, echoed in its answer;
    /// <paramref name="Version"/> stays as the text it was, so PushChange.ValidateVersion judges it as it judges the header.
    /// </summary>
    public sealed record Request(
        string Type, long Ref, Guid Workspace, string? Token, long After, string? Key, string? Version, ReadOnlyMemory<byte> Payload);

    /// <summary>A message that could not be read: its problem, and its ref and workspace where those could be read.</summary>
    public sealed record Unreadable(ProblemDetails Problem, long? Ref, Guid? Workspace);

    /// <summary>Reads a client's message, or says why it cannot be read.</summary>
    public static (Request? Request, Unreadable? Unreadable) Parse(ReadOnlyMemory<byte> message)
    {
        if (message.Length < 2)
        {
            return Fail("A message starts with its header's length (2 bytes, big-endian).");
        }

        var headerLength = BinaryPrimitives.ReadUInt16BigEndian(message.Span);
        if (headerLength == 0 || headerLength > MaxHeaderBytes)
        {
            return Fail($"A header is 1 to {MaxHeaderBytes} bytes; this one says {headerLength}.");
        }

        if (message.Length < 2 + headerLength)
        {
            return Fail($"The header says {headerLength} bytes but the message holds only {message.Length - 2} after it: truncated.");
        }

        JsonDocument json;
        try
        {
            json = JsonDocument.Parse(message.Slice(2, headerLength));
        }
        catch (JsonException)
        {
            return Fail("The header is not valid UTF-8 JSON.");
        }

        using (json)
        {
            var header = json.RootElement;
            if (header.ValueKind != JsonValueKind.Object)
            {
                return Fail("The header must be a JSON object.");
            }

            long? reference = null;
            if (header.TryGetProperty("ref", out var refValue))
            {
                if (refValue.ValueKind != JsonValueKind.Number || !refValue.TryGetInt64(out var r) || r < 0 || r > MaxRef)
                {
                    return Fail($"ref must be an integer from 0 to {MaxRef}.");
                }

                reference = r;
            }

            Guid? workspace = null;
            if (header.TryGetProperty("workspace", out var workspaceValue))
            {
                if (workspaceValue.ValueKind != JsonValueKind.String || !Guid.TryParse(workspaceValue.GetString(), out var w))
                {
                    return Fail("workspace must be a workspace id (a UUID).", reference);
                }

                workspace = w;
            }

            if (!header.TryGetProperty("type", out var typeValue) || typeValue.ValueKind != JsonValueKind.String)
            {
                return Fail("The header has no type.", reference, workspace);
            }

            var type = typeValue.GetString()!;
            if (type is not (Subscribe or Unsubscribe or Push))
            {
                return Fail($"Unknown message type '{Shorten(type)}': a client sends subscribe, unsubscribe or push.", reference, workspace);
            }

            if (reference is null)
            {
                return Fail($"A {type} needs a ref (the client's number for it, echoed in the answer).", null, workspace);
            }

            if (workspace is null)
            {
                return Fail($"A {type} needs a workspace.", reference);
            }

            var payload = message[(2 + headerLength)..];
            if (type != Push && payload.Length > 0)
            {
                return Fail($"A {type} carries no payload.", reference, workspace);
            }

            string? token = null;
            long after = 0;
            if (type == Subscribe)
            {
                if (!header.TryGetProperty("token", out var tokenValue) || tokenValue.ValueKind != JsonValueKind.String
                    || tokenValue.GetString() is not { Length: > 0 } t)
                {
                    return Fail("A subscribe needs the workspace's token.", reference, workspace);
                }

                token = t;
                if (header.TryGetProperty("after", out var afterValue)
                    && (afterValue.ValueKind != JsonValueKind.Number || !afterValue.TryGetInt64(out after) || after < 0))
                {
                    return Fail("after must be a non-negative integer (the last seq the client has).", reference, workspace);
                }
            }

            string? key = null;
            string? version = null;
            if (type == Push)
            {
                key = header.TryGetProperty("key", out var keyValue) && keyValue.ValueKind == JsonValueKind.String ? keyValue.GetString() : null;
                version = header.TryGetProperty("version", out var versionValue) ? versionValue.GetRawText() : null;
            }

            return (new Request(type, reference.Value, workspace.Value, token, after, key, version, payload), null);
        }

        static (Request?, Unreadable?) Fail(string detail, long? reference = null, Guid? workspace = null) =>
            (null, new Unreadable(SyncProblems.Invalid(detail), reference, workspace));
    }

    /// <summary>The largest ref: 2^53 − 1, the largest integer a JavaScript number holds exactly.</summary>
    public const long MaxRef = (1L << 53) - 1;

    private static string Shorten(string text) => text.Length <= 40 ? text : text[..40] + "…";

    public static byte[] Subscribed(long reference, Guid workspace, long head, int schemaVersion) =>
        Build(w =>
        {
            w.WriteString("type", "subscribed");
            w.WriteNumber("ref", reference);
            w.WriteString("workspace", workspace);
            w.WriteNumber("head", head);
            w.WriteNumber("schemaVersion", schemaVersion);
        });

    /// <summary>The header of a <c>changes</c> message, whose payload is pull frames (ChangeFrames) up to <paramref name="head"/>.</summary>
    public static byte[] ChangesHeader(Guid workspace, long head) =>
        Build(w =>
        {
            w.WriteString("type", "changes");
            w.WriteString("workspace", workspace);
            w.WriteNumber("head", head);
        });

    /// <summary>A <c>changes</c> message of one change, whole.</summary>
    public static byte[] OneChange(Guid workspace, long seq, byte[] data)
    {
        var header = ChangesHeader(workspace, seq);
        var message = new byte[header.Length + ChangeFrames.HeaderLength + data.Length];
        header.CopyTo(message, 0);
        var frame = message.AsSpan(header.Length);
        frame[0] = ChangeFrames.Change;
        BinaryPrimitives.WriteInt64BigEndian(frame[1..], seq);
        BinaryPrimitives.WriteUInt32BigEndian(frame[9..], (uint)data.Length);
        data.CopyTo(frame[ChangeFrames.HeaderLength..]);
        return message;
    }

    /// <param name="cursor">Every change of the workspace up to this seq has been sent on this socket before this ack, the acknowledged one included where it is at or below it.</param>
    public static byte[] Ack(long reference, Guid workspace, long seq, bool replayed, long cursor) =>
        Build(w =>
        {
            w.WriteString("type", "ack");
            w.WriteNumber("ref", reference);
            w.WriteString("workspace", workspace);
            w.WriteNumber("seq", seq);
            w.WriteBoolean("replayed", replayed);
            w.WriteNumber("cursor", cursor);
        });

    /// <summary>An <c>error</c>: the problem's status, code, detail and extensions, as the HTTP routes answer them.</summary>
    public static byte[] Error(ProblemDetails problem, long? reference, Guid? workspace) =>
        Build(w =>
        {
            w.WriteString("type", "error");
            if (reference is { } r)
            {
                w.WriteNumber("ref", r);
            }

            if (workspace is { } id)
            {
                w.WriteString("workspace", id);
            }

            w.WriteNumber("status", problem.Status ?? 400);
            w.WriteString("detail", problem.Detail);
            foreach (var (name, value) in problem.Extensions)
            {
                if (name is "traceId" || value is null)
                {
                    continue;
                }

                w.WritePropertyName(name);
                JsonSerializer.Serialize(w, value, value.GetType());
            }
        });

    /// <summary>
    /// The end of a workspace's subscription: <c>revoked</c>, <c>deleted</c>, <c>app-suspended</c>, or <c>unsubscribed</c>
    /// (with the unsubscribe's ref, or none when a newer subscription of the same token superseded it).
    /// </summary>
    public static byte[] Ended(string type, Guid workspace, long? reference = null) =>
        Build(w =>
        {
            w.WriteString("type", type);
            if (reference is { } r)
            {
                w.WriteNumber("ref", r);
            }

            w.WriteString("workspace", workspace);
        });

    public static byte[] Heartbeat { get; } = Build(w => w.WriteString("type", "heartbeat"));

    private static byte[] Build(Action<Utf8JsonWriter> fields)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        buffer.Advance(2);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            fields(writer);
            writer.WriteEndObject();
        }

        var message = buffer.WrittenSpan.ToArray();
        BinaryPrimitives.WriteUInt16BigEndian(message, (ushort)(message.Length - 2));
        return message;
    }
}
