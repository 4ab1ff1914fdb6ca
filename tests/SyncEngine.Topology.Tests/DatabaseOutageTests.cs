using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
using SyncEngine.Client;
using SyncEngine.Testing;
using Xunit;

namespace SyncEngine.Topology.Tests;

/// <summary>
/// PostgreSQL stopped hard (<c>pg_ctl stop -m immediate</c>: SIGQUIT) in the middle of a push load through the
/// production topology, and started again 10 s later: every answer meanwhile is a 2xx or 503 <c>unavailable</c> with
/// Retry-After (never a 500, never a request hanging past its 12 s guard), every service reports unready and recovers
/// by itself, every acknowledged push is stored with its bytes, a read, a grant and a claim sent mid-outage (routes
/// Workspace and Auth serve with Wolverine.Http) and a push on the realtime channel are 503 too and leave nothing
/// behind, and a revocation committed just before the outage is delivered after it.
/// </summary>
public sealed class DatabaseOutageTests(ProductionTopologyFixture app)
{
    private static readonly TimeSpan RequestGuard = TimeSpan.FromSeconds(12);
    private static readonly TimeSpan Outage = TimeSpan.FromSeconds(10);
    /// <summary>
    /// The six pushers share one token, so together they stay under the gateway's budget per client (100/s, burst 200):
    /// unpaced, a fast machine spent it within a second or two and the revoke below, on the same token, got 429.
    /// </summary>
    private const int PushesPerSecond = 60;
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private sealed record Acknowledged(long Seq, byte[] Data);

    [Fact]
    public async Task a_hard_database_stop_mid_load_answers_503_recovers_by_itself_and_loses_nothing_acknowledged()
    {
        var (workspaceId, _, master) = await app.NewWorkspaceAsync(Ct);
        var (member, memberToken) = await app.NewMemberAsync(workspaceId, master, Ct);
        var acknowledged = new ConcurrentBag<Acknowledged>();
        var answers = new ConcurrentBag<string>();
        var restarted = new TaskCompletionSource();
        var ackedAfterRestart = 0;
        using var stopLoad = CancellationTokenSource.CreateLinkedTokenSource(Ct);

        using var pace = new System.Threading.RateLimiting.TokenBucketRateLimiter(new()
        {
            TokenLimit = PushesPerSecond / 10,
            TokensPerPeriod = PushesPerSecond / 10,
            ReplenishmentPeriod = TimeSpan.FromMilliseconds(100),
            QueueLimit = int.MaxValue,
        });

        async Task PushLoopAsync(int pusher)
        {
            for (var i = 0; !stopLoad.IsCancellationRequested; i++)
            {
                using var permit = await pace.AcquireAsync(1, CancellationToken.None);
                var data = Guid.NewGuid().ToByteArray();
                using var guard = CancellationTokenSource.CreateLinkedTokenSource(Ct);
                guard.CancelAfter(RequestGuard);
                try
                {
                    using var response = await app.Gateway.PushChangeAsync(workspaceId, master, new ByteArrayContent(data), guard.Token);
                    var body = await response.Content.ReadAsStringAsync(guard.Token);
                    if (response.IsSuccessStatusCode)
                    {
                        var seq = System.Text.Json.JsonDocument.Parse(body).RootElement.GetProperty("seq").GetInt64();
                        acknowledged.Add(new Acknowledged(seq, data));
                        if (restarted.Task.IsCompleted)
                        {
                            Interlocked.Increment(ref ackedAfterRestart);
                        }
                    }
                    else
                    {
                        var retryAfter = response.Headers.RetryAfter is null ? "no Retry-After" : "Retry-After";
                        var code = ProblemCode(body);
                        answers.Add($"{(int)response.StatusCode} {(code.Length > 0 ? code : body[..Math.Min(body.Length, 80)])} {retryAfter}");
                        // A client's pause before it retries a refused push (the library backs off likewise), so the
                        // outage is a load of retries, not a busy loop on the gateway. Pacing, not a wait for a condition.
                        await Task.Delay(TimeSpan.FromMilliseconds(200), CancellationToken.None);
                    }
                }
                catch (OperationCanceledException) when (!Ct.IsCancellationRequested)
                {
                    answers.Add($"pusher {pusher}: no answer within {RequestGuard.TotalSeconds:0} s");
                }
            }
        }

        var load = Enumerable.Range(0, 6).Select(PushLoopAsync).ToList();
        await Eventually.Until(_ => Task.FromResult(acknowledged.Count), n => n >= 30, TimeSpan.FromSeconds(30), Ct);
        // A device on the realtime channel too, subscribed while the database is up.
        await using var device = await SyncSocket.ConnectAsync(app.Gateway.BaseAddress!, Ct);
        await device.SubscribeAsync(0, workspaceId, master, 0, Ct);
        Assert.Equal("subscribed", (await device.NextAsync(m => m.Type is "subscribed" or "error", RequestGuard, Ct))?.Type);

        // Committed at Auth just before the outage; its AccessRevoked reaches Workspace and Sync through the outbox.
        await app.Api.RevokeAsync(master, workspaceId, member, Ct);
        await app.Topology.Database.StopImmediatelyAsync(Ct);
        var unready = await Task.WhenAll(app.Topology.Processes.Where(p => p.Name != "gateway").Select(async p =>
            (p.Name, Status: await Eventually.Until(t => StatusAsync(p.Health, t), s => s == HttpStatusCode.ServiceUnavailable, Outage, Ct))));
        // The routes Wolverine.Http serves (Workspace's and Auth's; Sync's are minimal APIs) answer 503 too: the rule
        // that retries messages through an outage (DatabaseOutageRetries) must not hold an HTTP request in its cooldowns.
        var (strangerWorkspace, stranger) = (Guid.NewGuid(), Guid.NewGuid());
        var duringOutage = Task.WhenAll(
            AnswerAsync("GET workspace", HttpMethod.Get, $"/api/workspaces/{workspaceId}", master, null),
            AnswerAsync("grant", HttpMethod.Post, $"/api/workspaces/{workspaceId}/tokens", master, new { clientId = stranger, scope = "read" }),
            AnswerAsync("claim", HttpMethod.Post, "/api/workspaces", null, new { workspaceId = strangerWorkspace, clientId = stranger },
                ("Idempotency-Key", Guid.NewGuid().ToString())));
        var (socketKey, socketChange) = (Guid.NewGuid(), Guid.NewGuid().ToByteArray());
        await device.PushAsync(1, workspaceId, socketKey, 1, socketChange, Ct);
        var socketAnswer = await device.NextAsync(m => m.Ref == 1, RequestGuard, Ct);
        // The outage itself: the scenario is PostgreSQL down for about 10 s under load, so it stays down 8 s more after
        // every service reported unready. This is the scenario's length, not a wait for something to happen. The three
        // requests above are answered within it (they must be, to be answered during the outage).
        await Task.Delay(Outage - TimeSpan.FromSeconds(2), Ct);
        var answeredDuringOutage = await duringOutage;
        await app.Topology.Database.RestartAsync(Ct);
        restarted.SetResult();

        await Eventually.Until(_ => Task.FromResult(Volatile.Read(ref ackedAfterRestart)), n => n >= 30, TimeSpan.FromSeconds(60), Ct);
        // The device sends its refused push again with its key, on the same socket, as the library does.
        await device.PushAsync(2, workspaceId, socketKey, 1, socketChange, Ct);
        var socketAck = await device.NextAsync(m => m.Ref == 2, RequestGuard, Ct);
        await stopLoad.CancelAsync();
        await Task.WhenAll(load);

        var exited = app.Topology.Processes.Where(p => p.HasExited).Select(p =>
            $"{p.Name} exited:\n{string.Join('\n', p.Output.Split('\n').SkipWhile(l => !l.Contains("BackgroundService failed", StringComparison.Ordinal)).Take(6))}").ToList();
        Assert.True(exited.Count == 0, "services stopped instead of riding out the outage: " + string.Join("\n\n", exited));
        Assert.All(unready, u => Assert.True(u.Status == HttpStatusCode.ServiceUnavailable, $"{u.Name}'s /health answered {u.Status} during the outage"));
        var wrong = answers.Where(a => !a.StartsWith("503 unavailable Retry-After", StringComparison.Ordinal)).GroupBy(a => a).Select(g => $"{g.Count()}× {g.Key}").ToList();
        Assert.True(wrong.Count == 0, "answers other than 2xx or 503 unavailable with Retry-After: " + string.Join("; ", wrong));
        Assert.Contains(answers, a => a.StartsWith("503", StringComparison.Ordinal));
        Assert.All(answeredDuringOutage, a => Assert.Equal($"{a.Split(':')[0]}: 503 unavailable Retry-After", a));
        Assert.True(socketAnswer is { Type: "error", Status: 503, Code: "unavailable" }, $"the socket's push mid-outage: {socketAnswer?.Header.ToString() ?? "no answer"}");
        // Refused whole: sent again after the outage it is stored then, not replayed.
        Assert.NotNull(socketAck);
        Assert.True(socketAck.Type == "ack" && !socketAck.Header.GetProperty("replayed").GetBoolean(),
            $"the socket's push again after the outage: {socketAck.Header}");
        acknowledged.Add(new Acknowledged(socketAck.Long("seq"), socketChange));

        // Refused during the outage, so none of it happened: no grant for the stranger, and its workspace id is still free
        // (a claim with another key would be 409 had the first one been stored).
        Assert.DoesNotContain(await app.Api.ListTokensAsync(master, workspaceId, Ct), t => t.ClientId == stranger);
        Assert.Equal(strangerWorkspace, (await app.Api.ClaimAsync(strangerWorkspace, stranger, Guid.NewGuid().ToString(), Ct)).WorkspaceId);

        var pulled = await app.Api.PullAsync(master, workspaceId, 0, Ct);
        var stored = pulled.Frames.ToDictionary(f => f.Seq, f => f.Data);
        Assert.Equal(Enumerable.Range(1, stored.Count).Select(n => (long)n), stored.Keys.Order());
        Assert.All(acknowledged, a => Assert.Equal(a.Data, stored[a.Seq]));

        // The revocation committed before the outage was delivered: Sync refuses the member, Workspace records it.
        Assert.Equal(HttpStatusCode.Unauthorized, await Eventually.Until(
            t => app.Gateway.StatusAsync($"/api/workspaces/{workspaceId}/changes?after=0", memberToken, t),
            s => s == HttpStatusCode.Unauthorized, TimeSpan.FromSeconds(30), Ct));
        var revokedAtWorkspace = await Eventually.Until(t => app.Api.GetWorkspaceAsync(master, workspaceId, t),
            w => w.GetProperty("members").EnumerateArray().Any(m => m.GetProperty("clientId").GetGuid() == member
                && m.GetProperty("revokedAt").ValueKind == System.Text.Json.JsonValueKind.String),
            TimeSpan.FromSeconds(30), Ct);
        Assert.Contains(revokedAtWorkspace.GetProperty("members").EnumerateArray(), m => m.GetProperty("clientId").GetGuid() == member);
    }

    /// <summary>"name: status code Retry-After" of one request, or that it had no answer within the guard.</summary>
    private async Task<string> AnswerAsync(
        string name, HttpMethod method, string path, string? token, object? body, params (string Name, string Value)[] headers)
    {
        using var guard = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        guard.CancelAfter(RequestGuard);
        try
        {
            using var response = await app.Gateway.SendAsync(
                method, path, token, guard.Token, body is null ? null : JsonContent.Create(body), headers);
            var code = ProblemCode(await response.Content.ReadAsStringAsync(guard.Token));
            return $"{name}: {(int)response.StatusCode} {code} {(response.Headers.RetryAfter is null ? "no Retry-After" : "Retry-After")}";
        }
        catch (OperationCanceledException) when (!Ct.IsCancellationRequested)
        {
            return $"{name}: no answer within {RequestGuard.TotalSeconds:0} s";
        }
        catch (HttpRequestException e)
        {
            // Reported by the assertion, not thrown here: the test must still restart the database.
            return $"{name}: {e.Message}";
        }
    }

    /// <summary>A problem's <c>code</c>, or "" for a body without one.</summary>
    private static string ProblemCode(string body) => Regex.Match(body, "\"code\":\"([a-z-]+)\"").Groups[1].Value;

    private static async Task<HttpStatusCode> StatusAsync(Uri url, CancellationToken ct)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        try
        {
            using var response = await http.GetAsync(url, ct);
            return response.StatusCode;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
        {
            return HttpStatusCode.RequestTimeout;
        }
    }
}
