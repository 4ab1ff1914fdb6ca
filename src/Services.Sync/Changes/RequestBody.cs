using Microsoft.AspNetCore.Http.Features;

namespace Services.Sync.Changes;

/// <summary>Reads a raw body up to a limit without ever holding more than the limit (plus one chunk) in memory.</summary>
public static class RequestBody
{
    /// <summary>
    /// A declared body over the limit but at most this large is read and discarded before the 413. Answering without
    /// reading it makes Kestrel close the connection with the body still arriving; the reset can reach the sender (the
    /// gateway) before the 413 does, which then reports its own 502. The gateway's ceiling is 16 MiB, so through it
    /// every refused body is drained; a larger one, sent to a replica directly, is refused without reading.
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
                await DrainAsync(request.Body, ct);
            }

            return null;
        }

        if (request.HttpContext.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = maxBytes + 1L;
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

    private static async Task DrainAsync(Stream body, CancellationToken ct)
    {
        var chunk = new byte[ChunkBytes];
        try
        {
            while (await body.ReadAsync(chunk, ct) > 0)
            {
            }
        }
        catch (Exception e) when (e is BadHttpRequestException or IOException)
        {
            // The sender gave up or the body broke off: the 413 stands either way.
        }
    }
}
