using System.Globalization;
using System.Net;
using SyncEngine.EndToEnd.Tests;
using SyncEngine.Testing;
using Xunit;
using static SyncEngine.Testing.TestData;

namespace SyncEngine.Topology.Tests;

/// <summary>
/// The public journeys through the gateway of the production topology: published programs, deploy/compose's
/// environment, three Sync replicas, nothing of the AppHost. (The same journeys under the AppHost, with more cases,
/// are SyncEngine.EndToEnd.Tests; here they prove the deployment's settings, not the services' rules again.)
/// </summary>
public sealed class PublicJourneyTests(ProductionTopologyFixture app)
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static bool IsHead(EventStream.Message m, long seq) =>
        m.Event == "head" && m.Id == seq.ToString(CultureInfo.InvariantCulture);

    [Fact]
    public async Task the_gateway_serves_the_built_web_client_and_its_health_and_metrics_only_on_the_management_port()
    {
        using var page = await app.Gateway.GetAsync("/journals/anything", Ct);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        Assert.Equal("no-cache", page.Headers.CacheControl?.ToString());
        Assert.Contains("/assets/", await page.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);

        foreach (var path in new[] { "/metrics", "/health", "/alive" })
        {
            using var onPublic = await app.Gateway.GetAsync(path, Ct);
            Assert.Equal(HttpStatusCode.NotFound, onPublic.StatusCode);
        }

        using var management = new HttpClient { BaseAddress = app.Topology.GatewayManagement };
        foreach (var path in new[] { "/metrics", "/health", "/alive" })
        {
            using var onManagement = await management.GetAsync(path, Ct);
            Assert.Equal(HttpStatusCode.OK, onManagement.StatusCode);
        }
    }

    [Fact]
    public async Task the_services_queues_are_in_the_rabbitmq_node_and_a_claims_message_went_through_it()
    {
        var factory = new RabbitMQ.Client.ConnectionFactory { Uri = new Uri(app.Broker.ConnectionString) };
        await using var connection = await factory.CreateConnectionAsync(Ct);
        await using var channel = await connection.CreateChannelAsync(cancellationToken: Ct);
        foreach (var queue in new[] { "auth", "workspace", "sync" })
        {
            // Passive: throws when the queue does not exist, so the services declared theirs on this broker.
            await channel.QueueDeclarePassiveAsync(queue, Ct);
        }

        // A claim's token comes back from Auth by request/reply over the broker, and Sync opens the log on WorkspaceClaimed.
        var (workspaceId, _, master) = await app.NewWorkspaceAsync(Ct);
        Assert.Equal(0, (await app.Api.PullAsync(master, workspaceId, 0, Ct)).Head);
    }

    [Fact]
    public async Task claim_invite_join_push_and_pull_through_the_gateway()
    {
        var (workspaceId, owner, master) = await app.NewWorkspaceAsync(Ct);
        Assert.Equal(1, await app.Api.PushAsync(master, workspaceId, [1], Guid.NewGuid(), 1, Ct));

        var (client, token) = await app.NewMemberAsync(workspaceId, master, Ct);

        Assert.Equal(owner, (await app.Api.GetWorkspaceAsync(token, workspaceId, Ct)).GetProperty("ownerClientId").GetGuid());
        Assert.Equal(2, await app.Api.PushAsync(token, workspaceId, [2], Guid.NewGuid(), 1, Ct));
        Assert.Equal([[1], [2]], (await app.Api.PullAsync(token, workspaceId, 0, Ct)).Frames.Select(f => f.Data));
        // Workspace learns of the member from Auth's message: the queues work with the deployment's settings.
        var asOwner = await Eventually.Until(
            ct => app.Api.GetWorkspaceAsync(master, workspaceId, ct), w => w.GetProperty("members").GetArrayLength() > 0, Wait, Ct);
        Assert.Contains(asOwner.GetProperty("members").EnumerateArray(), m => m.GetProperty("clientId").GetGuid() == client);
    }

    [Fact]
    public async Task a_push_through_the_gateway_reaches_live_streams_on_every_sync_replica()
    {
        var (workspaceId, _, master) = await app.NewWorkspaceAsync(Ct);
        List<HttpClient> replicas = [.. app.Topology.SyncReplicas.Select(address => new HttpClient { BaseAddress = address })];
        var streams = await Task.WhenAll(replicas.Select(replica => EventStream.OpenAsync(replica, workspaceId, master, null, Ct)));
        try
        {
            foreach (var stream in streams)
            {
                Assert.NotNull(await stream.NextMatchingAsync(m => IsHead(m, 0), Wait, Ct));
            }

            var seq = await app.Api.PushAsync(master, workspaceId, [7, 7, 7], Guid.NewGuid(), 1, Ct);

            for (var i = 0; i < streams.Length; i++)
            {
                Assert.True(await streams[i].NextMatchingAsync(m => IsHead(m, seq), Wait, Ct) is not null,
                    $"the stream on {app.Topology.SyncReplicas[i]} did not hear of seq {seq}");
            }
        }
        finally
        {
            foreach (var stream in streams)
            {
                await stream.DisposeAsync();
            }

            replicas.ForEach(r => r.Dispose());
        }
    }

    [Fact]
    public async Task a_revoked_member_is_refused_by_every_sync_replica_and_by_auth()
    {
        var (workspaceId, _, master) = await app.NewWorkspaceAsync(Ct);
        var (client, token) = await app.NewMemberAsync(workspaceId, master, Ct);
        List<HttpClient> replicas = [.. app.Topology.SyncReplicas.Select(address => new HttpClient { BaseAddress = address })];
        try
        {
            foreach (var replica in replicas)
            {
                using var accepted = await replica.SendAsync(HttpMethod.Get, $"/api/workspaces/{workspaceId}/changes?after=0", token, Ct);
                // 204: nothing pushed yet, and the token accepted.
                Assert.Equal(HttpStatusCode.NoContent, accepted.StatusCode);
            }

            await app.Api.RevokeAsync(master, workspaceId, client, Ct);

            foreach (var replica in replicas)
            {
                var status = await Eventually.Until(async ct =>
                {
                    using var response = await replica.SendAsync(HttpMethod.Get, $"/api/workspaces/{workspaceId}/changes?after=0", token, ct);
                    return response.StatusCode;
                }, s => s == HttpStatusCode.Unauthorized, Wait, Ct);
                Assert.True(status == HttpStatusCode.Unauthorized, $"{replica.BaseAddress} still answers {status} to the revoked token");
            }

            using var byAuth = await app.Gateway.SendAsync(HttpMethod.Get, $"/api/workspaces/{workspaceId}/tokens", token, Ct);
            await Problems.AssertProblem(byAuth, HttpStatusCode.Unauthorized, "unauthorized");
        }
        finally
        {
            replicas.ForEach(r => r.Dispose());
        }
    }

    [Fact]
    public async Task fifty_concurrent_pushers_through_the_gateway_get_gap_free_seqs_across_the_three_replicas()
    {
        var (workspaceId, _, master) = await app.NewWorkspaceAsync(Ct);
        var changes = Enumerable.Range(0, 50).Select(i => Bytes(512 + i, i)).ToList();
        var replicas = app.Topology.SyncReplicas;
        var before = await ReplicaMetrics.ScrapeAsync(replicas, Ct);

        var seqs = await Task.WhenAll(changes.Select(change => app.Api.PushAsync(master, workspaceId, change, Guid.NewGuid(), 1, Ct)));

        Assert.Equal(Enumerable.Range(1, 50).Select(i => (long)i), seqs.Order());
        var pulled = await app.Api.PullAsync(master, workspaceId, 0, Ct);
        Assert.Equal(Enumerable.Range(1, 50).Select(i => (long)i), pulled.Frames.Select(f => f.Seq));
        foreach (var (seq, change) in seqs.Zip(changes))
        {
            Assert.Equal(change, pulled.Frames[(int)seq - 1].Data);
        }

        // The gateway spread them: more than one replica committed some (other tests may push at the same time, so
        // the counts are at least, not exactly, these pushes).
        List<double> Taken(IReadOnlyDictionary<Uri, string> after) =>
            [.. replicas.Select(r => ReplicaMetrics.Sum(after[r], "syncengine_sync_pushes_total") - ReplicaMetrics.Sum(before[r], "syncengine_sync_pushes_total"))];
        var taken = Taken(await Eventually.Until(ct => ReplicaMetrics.ScrapeAsync(replicas, ct), a => Taken(a).Sum() >= 50, Wait, Ct));
        Assert.True(taken.Sum() >= 50, $"pushes counted by the replicas: {string.Join(", ", taken)}");
        Assert.True(taken.Count(t => t > 0) >= 2, $"pushes committed per replica: {string.Join(", ", taken)}");
    }
}
