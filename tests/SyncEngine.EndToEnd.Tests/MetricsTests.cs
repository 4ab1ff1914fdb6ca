using System.Net;
using System.Net.Http.Headers;
using Xunit;

namespace SyncEngine.EndToEnd.Tests;

[Collection(SyncEngineCollection.Name)]
public sealed class MetricsTests(SyncEngineApp app)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task sync_counts_pushes_bytes_pulls_subscribers_and_refusals_by_code()
    {
        var workspaceId = Guid.NewGuid();
        var master = (await app.Api.ClaimAsync(workspaceId, Guid.NewGuid(), Guid.NewGuid().ToString(), Ct)).Token;
        for (var i = 0; i < 6; i++)
        {
            await app.Api.PushAsync(master, workspaceId, new byte[100], Guid.NewGuid(), 2, Ct);
            await app.Api.PullAsync(master, workspaceId, 0, Ct);
            using var outdated = new HttpRequestMessage(HttpMethod.Post, $"/api/workspaces/{workspaceId}/changes") { Content = new ByteArrayContent([1]) };
            outdated.Headers.Authorization = new AuthenticationHeaderValue("Bearer", master);
            outdated.Headers.TryAddWithoutValidation("Idempotency-Key", Guid.NewGuid().ToString());
            outdated.Headers.TryAddWithoutValidation("Sync-Schema-Version", "1");
            using var refused = await app.Gateway.SendAsync(outdated, Ct);
            Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
        }

        // Each replica exports its own counters, and Aspire's proxy picks a replica per connection: scrape over a new
        // connection each time until the replica that took this test's requests answers.
        using var sync = app.CreateServiceClient("sync");
        async Task<string> Scrape(CancellationToken token)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/metrics");
            request.Headers.ConnectionClose = true;
            using var response = await sync.SendAsync(request, token);
            return await response.Content.ReadAsStringAsync(token);
        }

        string[] expected =
        [
            "syncengine_sync_pushes_total", "syncengine_sync_bytes_in_bytes_total", "syncengine_sync_bytes_out_bytes_total",
            "syncengine_sync_pulls_total", "syncengine_sync_live_subscribers", "syncengine_sync_rejected_total{code=\"outdated-version\"",
        ];
        await using var subscriber = await EventStream.OpenAsync(app.Gateway, workspaceId, master, null, Ct);
        Assert.NotNull(await subscriber.NextMatchingAsync(m => m.Event == "head", TimeSpan.FromSeconds(10), Ct));
        var seen = new HashSet<string>();
        await Eventually.Until(async token =>
            {
                var text = await Scrape(token);
                // Label order is the exporter's business: match a rejected line that carries the code anywhere.
                var lines = text.Split('\n');
                seen.UnionWith(expected.Where(metric => metric.Contains('{', StringComparison.Ordinal)
                    ? lines.Any(l => l.StartsWith(metric[..metric.IndexOf('{')], StringComparison.Ordinal) && l.Contains(metric[(metric.IndexOf('{') + 1)..], StringComparison.Ordinal))
                    : text.Contains(metric, StringComparison.Ordinal)));
                return seen.Count;
            },
            count => count == expected.Length, TimeSpan.FromSeconds(20), Ct);

        foreach (var metric in expected)
        {
            Assert.Contains(metric, seen);
        }
    }
}
