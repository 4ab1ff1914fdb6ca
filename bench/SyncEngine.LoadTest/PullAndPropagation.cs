using System.Diagnostics;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using SyncEngine.Client;

namespace SyncEngine.LoadTest;

public static class PullAndPropagation
{
    public sealed record PullResult(int DocumentBytes, long WireBytes, Stats Latency);

    /// <summary>A document of <paramref name="documentBytes"/> (one large change) plus a 1 KB change; the client has all but the last.</summary>
    public static async Task<PullResult> OneBehindAsync(HttpClient gateway, SyncEngineClient api, int documentBytes, int samples, CancellationToken ct)
    {
        var workspace = (await PushLoad.ClaimAsync(api, 1, ct))[0];
        await api.PushAsync(workspace.Token, workspace.Id, RandomNumberGenerator.GetBytes(documentBytes), Guid.NewGuid(), 1, ct);
        await api.PushAsync(workspace.Token, workspace.Id, RandomNumberGenerator.GetBytes(1024), Guid.NewGuid(), 1, ct);
        var latency = new Stats();
        long wire = 0;
        for (var i = 0; i < samples; i++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/workspaces/{workspace.Id}/changes?after=1");
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", workspace.Token);
            var started = Stopwatch.GetTimestamp();
            using var response = await gateway.SendAsync(request, ct);
            var body = await response.Content.ReadAsByteArrayAsync(ct);
            latency.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            // What crossed the wire for the answer: status line, headers and body, as HTTP/1.1 sends them.
            wire = "HTTP/1.1 200 OK\r\n".Length + response.Headers.Concat(response.Content.Headers)
                .Sum(h => h.Key.Length + 2 + string.Join(", ", h.Value).Length + 2) + 2 + body.Length;
        }

        return new PullResult(documentBytes, wire, latency);
    }

    /// <summary>From a push's acknowledgement to another subscriber's live head event for it.</summary>
    public static async Task<Stats> PropagationAsync(HttpClient gateway, SyncEngineClient api, int samples, CancellationToken ct)
    {
        var workspace = (await PushLoad.ClaimAsync(api, 1, ct))[0];
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/workspaces/{workspace.Id}/events");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", workspace.Token);
        using var response = await gateway.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(ct));
        var latency = new Stats();
        await ReadHeadAsync(reader, 0, ct);
        for (var seq = 1; seq <= samples; seq++)
        {
            var push = api.PushAsync(workspace.Token, workspace.Id, RandomNumberGenerator.GetBytes(1024), Guid.NewGuid(), 1, ct);
            var seen = ReadHeadAsync(reader, seq, ct);
            await push;
            var acknowledged = Stopwatch.GetTimestamp();
            var seenAt = await seen;
            // The event can beat the 201 home; that counts as zero.
            latency.Add(Math.Max(0, Stopwatch.GetElapsedTime(acknowledged, seenAt).TotalMilliseconds));
        }

        return latency;
    }

    private static async Task<long> ReadHeadAsync(StreamReader reader, long seq, CancellationToken ct)
    {
        while (await reader.ReadLineAsync(ct) is { } line)
        {
            if (line == $"id: {seq}")
            {
                return Stopwatch.GetTimestamp();
            }
        }

        throw new InvalidOperationException("The live event stream ended.");
    }
}
