using System.Globalization;
using SyncEngine.Testing;
using Xunit;
using static SyncEngine.Testing.TestData;

namespace SyncEngine.EndToEnd.Tests;

/// <summary>
/// Sync as the AppHost runs it, two replicas behind the gateway: seqs stay gap-free and live events reach every
/// subscriber whichever replica took the push. (One replica's rules are Services.Sync.Tests' integration tests.)
/// </summary>
[Collection(SyncEngineCollection.Name)]
public sealed class SyncReplicaTests(SyncEngineApp app)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    private static bool IsHead(EventStream.Message m, long seq) =>
        m.Event == "head" && m.Id == seq.ToString(CultureInfo.InvariantCulture) && m.Data == $"{{\"seq\":{seq}}}";

    [Fact]
    public async Task fifty_concurrent_pushers_get_gap_free_sequence_numbers_across_replicas()
    {
        var (workspaceId, _, master) = await app.NewWorkspaceAsync(Ct);
        var changes = Enumerable.Range(0, 50).Select(i => Bytes(512 + i, i)).ToList();
        var replicas = await app.SyncReplicaAddressesAsync(Ct);
        Assert.True(replicas.Count >= 2, $"expected two Sync replicas, found {replicas.Count}");
        var before = await ReplicaMetrics.ScrapeAsync(replicas, Ct);

        var seqs = await Task.WhenAll(changes.Select(change => app.Api.PushAsync(master, workspaceId, change, Guid.NewGuid(), 1, Ct)));

        Assert.Equal(Enumerable.Range(1, 50).Select(i => (long)i), seqs.Order());
        // Each replica counts the pushes it committed: both must have taken some of these, or the test proved nothing
        // about seqs across replicas. (Nothing else pushes while it runs: the collection runs one test at a time.)
        List<double> Taken(IReadOnlyDictionary<Uri, string> after) =>
            replicas.Select(r => ReplicaMetrics.Sum(after[r], "syncengine_sync_pushes_total") - ReplicaMetrics.Sum(before[r], "syncengine_sync_pushes_total")).ToList();
        // The exporter caches a scrape for a moment: poll until the counters show the pushes.
        var taken = Taken(await Eventually.Until(token => ReplicaMetrics.ScrapeAsync(replicas, token), a => Taken(a).Sum() >= 50, TimeSpan.FromSeconds(10), Ct));
        Assert.Equal(50, taken.Sum());
        Assert.All(taken, count => Assert.True(count > 0, $"pushes committed per replica: {string.Join(", ", taken)}"));
        var pulled = await app.Api.PullAsync(master, workspaceId, 0, Ct);
        Assert.Equal(Enumerable.Range(1, 50).Select(i => (long)i), pulled.Frames.Select(f => f.Seq));
        foreach (var (seq, change) in seqs.Zip(changes))
        {
            Assert.Equal(change, pulled.Frames[(int)seq - 1].Data);
        }
    }

    [Fact]
    public async Task the_gateway_sends_pushes_to_each_replica_on_its_own_port_not_through_aspires_proxy()
    {
        var (workspaceId, _, master) = await app.NewWorkspaceAsync(Ct);
        var replicas = await app.SyncReplicaAddressesAsync(Ct);
        Assert.True(replicas.Count >= 2, $"expected two Sync replicas, found {replicas.Count}");
        var gateway = Assert.Single(await SyncEngineApp.ServiceProcessesAsync(app.App, "gateway", Ct)).Pid;

        // Concurrent pushes, so the gateway's balancing uses every replica; it hears of them within a refresh (2 s).
        var connectedTo = await Eventually.Until(async token =>
            {
                await Task.WhenAll(Enumerable.Range(0, 16).Select(i => app.Api.PushAsync(master, workspaceId, Bytes(64, i), Guid.NewGuid(), 1, token)));
                return ServiceProcesses.EstablishedRemotePortsOf(gateway);
            },
            ports => replicas.All(r => ports.Contains(r.Port)), TimeSpan.FromSeconds(30), Ct);

        // Before, the gateway held connections to Aspire's proxy only; a replica's own port was reached by nothing but tests.
        Assert.All(replicas, replica => Assert.Contains(replica.Port, connectedTo));
    }

    [Fact]
    public async Task a_subscriber_on_one_replica_hears_of_a_push_committed_by_the_other()
    {
        var (workspaceId, _, master) = await app.NewWorkspaceAsync(Ct);
        var replicas = await app.SyncReplicaAddressesAsync(Ct);
        Assert.True(replicas.Count >= 2, $"expected two Sync replicas, found {replicas.Count}");
        using var subscriberSide = new HttpClient { BaseAddress = replicas[0] };
        using var pusherSide = new HttpClient { BaseAddress = replicas[1] };
        await using var stream = await EventStream.OpenAsync(subscriberSide, workspaceId, master, null, Ct);
        Assert.NotNull(await stream.NextMatchingAsync(m => IsHead(m, 0), Wait, Ct));

        var seq = await new SyncEngine.Client.SyncEngineClient(pusherSide).PushAsync(master, workspaceId, [7, 7, 7], Guid.NewGuid(), 1, Ct);

        Assert.NotNull(await stream.NextMatchingAsync(m => IsHead(m, seq), Wait, Ct));
    }

    [Fact]
    public async Task a_burst_of_concurrent_pushes_on_both_replicas_reaches_a_subscriber_as_one_head_event_per_seq_in_order()
    {
        const int burst = 40;
        var (workspaceId, _, master) = await app.NewWorkspaceAsync(Ct);
        await using var stream = await EventStream.OpenAsync(app.Gateway, workspaceId, master, null, Ct);
        Assert.NotNull(await stream.NextMatchingAsync(m => IsHead(m, 0), Wait, Ct));

        // Concurrent pushes through the gateway land on both replicas and commit faster than each is announced, so
        // announcements coalesce; the stream must still name every seq.
        var seqs = await Task.WhenAll(Enumerable.Range(1, burst)
            .Select(i => app.Api.PushAsync(master, workspaceId, [(byte)i, 2, 3], Guid.NewGuid(), 1, Ct)));
        Assert.Equal(Enumerable.Range(1, burst).Select(i => (long)i), seqs.Order());

        var heads = new List<long>();
        var until = DateTimeOffset.UtcNow + TimeSpan.FromSeconds(20);
        while (DateTimeOffset.UtcNow < until && heads.LastOrDefault(-1) != burst
            && await stream.NextMatchingAsync(m => m.Event == "head", until - DateTimeOffset.UtcNow, Ct) is { } head)
        {
            Assert.Equal($"{{\"seq\":{head.Id}}}", head.Data);
            heads.Add(long.Parse(head.Id!, CultureInfo.InvariantCulture));
        }

        Assert.Equal(Enumerable.Range(1, burst).Select(i => (long)i), heads);
    }
}
