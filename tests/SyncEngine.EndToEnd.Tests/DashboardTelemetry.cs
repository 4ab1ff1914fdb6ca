using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace SyncEngine.EndToEnd.Tests;

/// <summary>Reads spans back from the Aspire dashboard's telemetry API (OTLP JSON), the way an operator would see them.</summary>
public sealed class DashboardTelemetry(HttpClient dashboard, string apiKey)
{
    public sealed record Span(string Service, string Scope, string Name, string TraceId, string SpanId, string? ParentSpanId);

    public async Task<IReadOnlyList<Span>> TraceAsync(string traceId, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/telemetry/traces/{traceId}");
        request.Headers.Add("X-API-Key", apiKey);
        using var response = await dashboard.SendAsync(request, ct);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return [];
        }

        response.EnsureSuccessStatusCode();
        var body = await response.Content.ReadFromJsonAsync<JsonElement>(ct);
        var spans = new List<Span>();
        foreach (var resourceSpans in body.GetProperty("data").GetProperty("resourceSpans").EnumerateArray())
        {
            var service = resourceSpans.GetProperty("resource").GetProperty("attributes").EnumerateArray()
                .Where(a => a.GetProperty("key").GetString() == "service.name")
                .Select(a => a.GetProperty("value").GetProperty("stringValue").GetString())
                .FirstOrDefault() ?? "";
            foreach (var scopeSpans in resourceSpans.GetProperty("scopeSpans").EnumerateArray())
            {
                var scope = scopeSpans.GetProperty("scope").GetProperty("name").GetString() ?? "";
                foreach (var span in scopeSpans.GetProperty("spans").EnumerateArray())
                {
                    spans.Add(new Span(
                        service,
                        scope,
                        span.GetProperty("name").GetString() ?? "",
                        span.GetProperty("traceId").GetString() ?? "",
                        span.GetProperty("spanId").GetString() ?? "",
                        span.TryGetProperty("parentSpanId", out var parent) ? parent.GetString() : null));
                }
            }
        }

        return spans;
    }
}
