using System.Net.Http.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Services.Sync.Changes;
using Services.Sync.Replicas;
using SyncEngine.Testing;
using Xunit;

namespace Services.Sync.Tests.Integration;

/// <summary>
/// <c>GET /internal/replicas</c>: what the gateway reaches Sync's replicas by. This replica's configured address is
/// listed once it has started; a replica whose heartbeats stopped (killed, never stopped) drops out of the list while
/// one that keeps writing stays.
/// </summary>
public sealed class ReplicaRegistryTests(SyncService sync)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task a_started_replica_lists_its_address_and_a_replica_that_stopped_writing_drops_out()
    {
        var db = sync.Services.GetRequiredService<NpgsqlDataSource>();
        var (live, dead) = ($"http://127.0.0.1:{Random.Shared.Next(20_000, 30_000)}", $"http://127.0.0.1:{Random.Shared.Next(30_000, 40_000)}");
        await using (var rows = db.CreateCommand(
            $"insert into {SyncSchema.Replicas} (address, seen_at) values ($1, now()), ($2, now() - $3 - interval '1 second')"))
        {
            rows.Parameters.AddWithValue(live);
            rows.Parameters.AddWithValue(dead);
            rows.Parameters.AddWithValue(ReplicaRegistry.FreshFor);
            await rows.ExecuteNonQueryAsync(Ct);
        }

        // The first heartbeat follows start-up.
        var listed = await Eventually.Until(async t => await sync.Http.GetFromJsonAsync<List<string>>(ListReplicasEndpoint.Path, t) ?? [],
            l => l.Contains(SyncService.AdvertisedAddress), TimeSpan.FromSeconds(10), Ct);

        Assert.Contains(SyncService.AdvertisedAddress, listed);
        Assert.Contains(live, listed);
        Assert.DoesNotContain(dead, listed);
    }

    [Fact]
    public void a_replica_with_an_advertised_address_that_is_not_http_does_not_start()
    {
        using var misconfigured = sync.WithWebHostBuilder(host => host.UseSetting("Sync:AdvertisedAddress", "sync-1:8080"));

        var refused = Assert.Throws<Microsoft.Extensions.Options.OptionsValidationException>(() => misconfigured.CreateClient());

        Assert.Contains("Sync:AdvertisedAddress 'sync-1:8080'", refused.Message, StringComparison.Ordinal);
    }
}
