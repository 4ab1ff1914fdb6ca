using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using SyncEngine.Testing;
using Xunit;

namespace SyncEngine.EndToEnd.Tests;

[Collection(SyncEngineCollection.Name)]
public sealed class ClaimTraceTests(SyncEngineApp app)
{
    [Fact]
    public async Task claim_through_the_gateway_is_one_trace_from_gateway_to_both_consumers()
    {
        var ct = TestContext.Current.CancellationToken;
        var traceId = ActivityTraceId.CreateRandom().ToHexString();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/workspaces")
        {
            Content = JsonContent.Create(new { workspaceId = Guid.NewGuid(), clientId = Guid.NewGuid() }),
        };
        request.Headers.Add("Idempotency-Key", Guid.NewGuid().ToString());
        request.Headers.Add("traceparent", $"00-{traceId}-{ActivitySpanId.CreateRandom().ToHexString()}-01");

        using var response = await app.Gateway.SendAsync(request, ct);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);

        // Each service exports in batches, so the parts of the trace arrive in any order: wait for all of them.
        (string Because, Func<DashboardTelemetry.Span, bool> Match)[] expected =
        [
            ("the gateway received the request", s => s.Service == "gateway" && s.Name == "POST /api/workspaces"),
            ("the gateway forwarded it", s => s.Service == "gateway" && s.Scope == "System.Net.Http"),
            ("workspace handled it", s => s.Service == "workspace" && s.Name == "POST /api/workspaces"),
            ("workspace committed to PostgreSQL", s => s.Service == "workspace" && s.Scope == "Npgsql"),
            ("workspace's event store took part", s => s.Service == "workspace" && s.Scope == "Marten"),
            ("workspace sent the message", s => s.Service == "workspace" && s.Scope == "Wolverine" && s.Name == "send"),
            ("auth handled WorkspaceClaimed", s => s.Service == "auth" && s.Scope == "Wolverine" && s.Name.EndsWith(".WorkspaceClaimed", StringComparison.Ordinal)),
            ("auth wrote to PostgreSQL", s => s.Service == "auth" && s.Scope == "Npgsql"),
            ("sync handled WorkspaceClaimed", s => s.Service == "sync" && s.Scope == "Wolverine" && s.Name.EndsWith(".WorkspaceClaimed", StringComparison.Ordinal)),
            ("sync wrote to PostgreSQL", s => s.Service == "sync" && s.Scope == "Npgsql"),
        ];

        var spans = await Eventually.Until(
            token => app.Telemetry.TraceAsync(traceId, token),
            spans => expected.All(e => spans.Any(e.Match)),
            TimeSpan.FromSeconds(30), ct);

        Assert.All(spans, s => Assert.Equal(traceId, s.TraceId));
        foreach (var (because, match) in expected)
        {
            Assert.True(spans.Any(match), $"missing from the trace: {because}");
        }
    }
}
