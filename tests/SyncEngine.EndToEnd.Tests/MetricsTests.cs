using System.Net;
using SyncEngine.Testing;
using Xunit;

namespace SyncEngine.EndToEnd.Tests;

[Collection(SyncEngineCollection.Name)]
public sealed class MetricsTests(SyncEngineApp app)
{
    private const int Rounds = 6;
    private const int ChangeBytes = 100;
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task<HttpStatusCode> PushAsync(Guid workspaceId, string? token, byte[] body, string version)
    {
        using var response = await app.Gateway.PushChangeAsync(workspaceId, token, new ByteArrayContent(body), Ct, version);
        return response.StatusCode;
    }

    [Fact]
    public async Task sync_counts_pushes_bytes_pulls_subscribers_and_refusals_by_code()
    {
        var (workspaceId, _, master) = await app.NewWorkspaceAsync(Ct);
        // Each replica exports its own counters and Aspire's proxy picks a replica per connection, so the test reads
        // every replica's /metrics directly and adds them up. The collection runs one test at a time, so what moves
        // between the two readings is this test's doing.
        var replicas = await app.SyncReplicaAddressesAsync(Ct);
        Assert.True(replicas.Count >= 2, $"expected two Sync replicas, found {replicas.Count}");
        var before = await ReplicaMetrics.ScrapeAsync(replicas, Ct);

        long pulledBytes = 0;
        for (var i = 0; i < Rounds; i++)
        {
            await app.Api.PushAsync(master, workspaceId, new byte[ChangeBytes], Guid.NewGuid(), 2, Ct);
            pulledBytes += (await app.Api.PullAsync(master, workspaceId, 0, Ct)).BodyBytes;
            Assert.Equal(HttpStatusCode.Conflict, await PushAsync(workspaceId, master, [1], "1"));
        }

        Assert.Equal(HttpStatusCode.Unauthorized, await PushAsync(workspaceId, null, [1], "2"));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, await PushAsync(workspaceId, master, new byte[SyncEngineApp.MaxChangeBytes + 1], "2"));
        await using var subscriber = await EventStream.OpenAsync(app.Gateway, workspaceId, master, null, Ct);
        Assert.NotNull(await subscriber.NextMatchingAsync(m => m.Event == "head", TimeSpan.FromSeconds(10), Ct));

        double Moved(IReadOnlyDictionary<Uri, string> after, string name, params (string, string)[] labels) =>
            ReplicaMetrics.Sum(after, name, labels) - ReplicaMetrics.Sum(before, name, labels);
        // The exporter caches a scrape for a moment: poll until the last things done show.
        var after = await Eventually.Until(token => ReplicaMetrics.ScrapeAsync(replicas, token),
            a => Moved(a, "syncengine_sync_pushes_total") >= Rounds && Moved(a, "syncengine_sync_rejected_total", ("code", "payload-too-large")) >= 1
                && ReplicaMetrics.Sum(a, "syncengine_sync_live_subscribers") >= 1,
            TimeSpan.FromSeconds(20), Ct);

        Assert.Equal(Rounds, Moved(after, "syncengine_sync_pushes_total"));
        Assert.True(Moved(after, "syncengine_sync_bytes_in_bytes_total") >= Rounds * ChangeBytes,
            $"bytes in moved by {Moved(after, "syncengine_sync_bytes_in_bytes_total")}, expected at least {Rounds * ChangeBytes}");
        Assert.Equal(Rounds, Moved(after, "syncengine_sync_pulls_total"));
        Assert.Equal(pulledBytes, Moved(after, "syncengine_sync_bytes_out_bytes_total"));
        Assert.True(ReplicaMetrics.Sum(after, "syncengine_sync_live_subscribers") >= 1, "no live subscriber counted while a stream is open");
        Assert.Equal(Rounds, Moved(after, "syncengine_sync_rejected_total", ("code", "outdated-version")));
        Assert.Equal(1, Moved(after, "syncengine_sync_rejected_total", ("code", "unauthorized")));
        Assert.Equal(1, Moved(after, "syncengine_sync_rejected_total", ("code", "payload-too-large")));
    }

    [Fact]
    public async Task every_replica_reports_each_apps_workspaces_and_stored_bytes_as_the_store_holds_them()
    {
        var appId = $"metrics-{Guid.NewGuid():N}"[..16];
        await app.Api.RegisterAppAsync(await app.OperatorTokenAsync(Ct), new SyncEngine.Client.AppSettings(appId, "Counted"), Ct);
        for (var i = 0; i < 2; i++)
        {
            var (workspaceId, _, master) = await app.NewWorkspaceInAppAsync(appId, Ct);
            await app.Api.PushAsync(master, workspaceId, new byte[300 + i], Guid.NewGuid(), 1, Ct);
        }

        var replicas = await app.SyncReplicaAddressesAsync(Ct);
        var scraped = await Eventually.Until(token => ReplicaMetrics.ScrapeAsync(replicas, token),
            a => a.Values.All(one => ReplicaMetrics.Sum(one, "syncengine_sync_app_stored_bytes", ("app", appId)) == 601
                && ReplicaMetrics.Sum(one, "syncengine_sync_app_workspaces", ("app", appId)) == 2),
            TimeSpan.FromSeconds(20), Ct);

        Assert.All(scraped.Values, one => Assert.Equal(601, ReplicaMetrics.Sum(one, "syncengine_sync_app_stored_bytes", ("app", appId))));
    }
}
