using System.Net.Http.Headers;

namespace SyncEngine.Testing;

/// <summary>A Server-Sent Events subscription read line by line, as a browser's EventSource would.</summary>
public sealed class EventStream : IAsyncDisposable
{
    private readonly HttpResponseMessage _response;
    private readonly StreamReader _reader;

    private EventStream(HttpResponseMessage response, StreamReader reader)
    {
        _response = response;
        _reader = reader;
    }

    public sealed record Message(string? Event, string? Id, string? Data, bool IsComment);

    public HttpResponseMessage Response => _response;

    public static async Task<EventStream> OpenAsync(HttpClient gateway, Guid workspaceId, string token, string? lastEventId, CancellationToken ct)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, $"/api/workspaces/{workspaceId}/events");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        if (lastEventId is not null)
        {
            request.Headers.TryAddWithoutValidation("Last-Event-ID", lastEventId);
        }

        var response = await gateway.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
        return new EventStream(response, new StreamReader(await response.Content.ReadAsStreamAsync(ct)));
    }

    /// <summary>The next event or comment; null when the server ended the stream or the deadline passed.</summary>
    public async Task<Message?> NextAsync(TimeSpan timeout, CancellationToken ct)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(timeout);
        string? name = null, id = null, data = null;
        try
        {
            while (await _reader.ReadLineAsync(deadline.Token) is { } line)
            {
                if (line.Length == 0)
                {
                    if (name is not null || data is not null || id is not null)
                    {
                        return new Message(name, id, data, false);
                    }

                    continue;
                }

                if (line.StartsWith(':'))
                {
                    return new Message(null, null, line[1..].Trim(), true);
                }

                var (field, value) = line.IndexOf(':') is var colon and > 0 ? (line[..colon], line[(colon + 1)..].TrimStart()) : (line, "");
                switch (field)
                {
                    case "event": name = value; break;
                    case "id": id = value; break;
                    case "data": data = value; break;
                }
            }
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
        }

        return null;
    }

    /// <summary>Reads until an event matches, skipping others; null if the stream ended or the deadline passed first.</summary>
    public async Task<Message?> NextMatchingAsync(Func<Message, bool> match, TimeSpan timeout, CancellationToken ct)
    {
        var until = DateTimeOffset.UtcNow + timeout;
        while (DateTimeOffset.UtcNow < until)
        {
            var message = await NextAsync(until - DateTimeOffset.UtcNow, ct);
            if (message is null || match(message))
            {
                return message;
            }
        }

        return null;
    }

    public async ValueTask DisposeAsync()
    {
        _reader.Dispose();
        _response.Dispose();
        await Task.CompletedTask;
    }
}
