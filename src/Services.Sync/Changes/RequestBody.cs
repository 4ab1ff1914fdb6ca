using Microsoft.AspNetCore.Http.Features;

namespace Services.Sync.Changes;

/// <summary>A body a route accepts, and the format it is in (Loro or opaque), which must match the workspace's.</summary>
public sealed record CheckedBody(byte[] Data, string Format);

/// <summary>Reads a raw body up to a limit without ever holding more than the limit (plus one chunk) in memory.</summary>
public static class RequestBody
{
    /// <summary>
    /// A body over the limit but at most this large, declared or streamed (chunked), is read to its end and discarded
    /// before the 413. Answering without reading it makes Kestrel close the connection with the body still arriving; the
    /// reset can reach the sender (the gateway) before the 413 does, which then reports its own 502 (seen with a chunked
    /// 5 MiB push, now and then). The gateway's ceiling is 16 MiB, so through it every refused body is drained; a larger
    /// one, sent to a replica directly, is refused without reading the rest.
    /// </summary>
    public const long DrainAtMostBytes = 16 * 1024 * 1024;

    private const int ChunkBytes = 64 * 1024;

    /// <summary>The bytes, or null when the body is larger than <paramref name="maxBytes"/> (declared or streamed).</summary>
    public static async Task<byte[]?> ReadBoundedAsync(HttpRequest request, int maxBytes, CancellationToken ct)
    {
        if (request.ContentLength > maxBytes)
        {
            if (request.ContentLength <= DrainAtMostBytes)
            {
                await DrainAsync(request.Body, DrainAtMostBytes, ct);
            }

            return null;
        }

        if (request.HttpContext.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            // Kestrel's own cut is the drain bound, so a streamed body over maxBytes can still be read to its end.
            limit.MaxRequestBodySize = Math.Max(maxBytes + 1L, DrainAtMostBytes);
        }

        using var buffer = new MemoryStream(request.ContentLength is { } length ? (int)length : 16 * 1024);
        var chunk = new byte[ChunkBytes];
        try
        {
            int read;
            while ((read = await request.Body.ReadAsync(chunk, ct)) > 0)
            {
                if (buffer.Length + read > maxBytes)
                {
                    await DrainAsync(request.Body, DrainAtMostBytes - buffer.Length - read, ct);
                    return null;
                }

                buffer.Write(chunk, 0, read);
            }
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return null;
        }

        return buffer.ToArray();
    }

    /// <summary>
    /// Whether a body read by <see cref="ReadBoundedAsync"/> (null: over <paramref name="maxBytes"/>) may be stored by a
    /// route that takes Loro exports of <paramref name="mode"/>: not too large, not empty, and either an intact export of
    /// that mode or not Loro at all. Checked before the log is locked, so a refused body costs no database work.
    /// </summary>
    public static Validated<CheckedBody> Check(byte[]? data, int maxBytes, LoroEnvelope.Mode mode, string emptyDetail)
    {
        if (data is null)
        {
            return Validated.Invalid<CheckedBody>(SyncProblems.TooLarge(maxBytes));
        }

        if (data.Length == 0)
        {
            return Validated.Invalid<CheckedBody>(SyncProblems.Invalid(emptyDetail));
        }

        var verdict = LoroEnvelope.Check(data, mode);
        return SyncProblems.InvalidLoro(verdict, mode) is { } invalid
            ? Validated.Invalid<CheckedBody>(invalid)
            : Validated.Valid(new CheckedBody(data, verdict == LoroEnvelope.Verdict.Valid ? SyncSchema.LoroFormat : SyncSchema.OpaqueFormat));
    }

    /// <summary>Reads and discards the rest of a body, but never more than <paramref name="atMostBytes"/>.</summary>
    private static async Task DrainAsync(Stream body, long atMostBytes, CancellationToken ct)
    {
        var chunk = new byte[ChunkBytes];
        try
        {
            int read;
            while (atMostBytes > 0 && (read = await body.ReadAsync(chunk, ct)) > 0)
            {
                atMostBytes -= read;
            }
        }
        catch (Exception e) when (e is BadHttpRequestException or IOException)
        {
            // The sender gave up or the body broke off: the 413 stands either way.
        }
    }
}
