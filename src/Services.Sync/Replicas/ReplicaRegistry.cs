using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Options;
using Npgsql;
using Services.Sync.Changes;

namespace Services.Sync.Replicas;

/// <summary>
/// Where each running replica can be reached, so the gateway sends pushes, pulls and sockets to a replica straight
/// (Gateway's SyncReplicaDestinations.cs) instead of through a load balancer that costs a hop and CPU on every
/// message: under the development AppHost that is Aspire's proxy, which cannot be turned off for a replicated
/// resource. A replica with an address to advertise (<c>Sync:AdvertisedAddress</c>, or its own listening address with
/// <c>Sync:AdvertiseListenAddress</c>) writes it to <c>sync.replicas</c> every <see cref="HeartbeatEvery"/> and removes
/// it when it stops; a replica killed without stopping drops out of <see cref="ListAsync"/> after <see cref="FreshFor"/>,
/// and until then the gateway's failover (ConnectFailover.cs) skips it.
/// </summary>
public sealed class ReplicaRegistry(
    NpgsqlDataSource db, IServer server, IHostApplicationLifetime lifetime, IOptions<SyncOptions> options, ILogger<ReplicaRegistry> logger)
    : BackgroundService
{
    public static readonly TimeSpan HeartbeatEvery = TimeSpan.FromSeconds(2);

    /// <summary>Three heartbeats: one late write under load does not drop a live replica.</summary>
    public static readonly TimeSpan FreshFor = HeartbeatEvery * 3;

    private string? _address;

    /// <summary>The addresses of the replicas that wrote theirs within <see cref="FreshFor"/>, in order.</summary>
    public static async Task<IReadOnlyList<string>> ListAsync(NpgsqlDataSource db, CancellationToken ct)
    {
        await using var query = db.CreateCommand($"select address from {SyncSchema.Replicas} where seen_at > now() - $1 order by address");
        query.Parameters.AddWithValue(FreshFor);
        await using var reader = await query.ExecuteReaderAsync(ct);
        var addresses = new List<string>();
        while (await reader.ReadAsync(ct))
        {
            addresses.Add(reader.GetString(0));
        }

        return addresses;
    }

    /// <summary>
    /// What this replica advertises: the configured address, or its first plain-HTTP listening address when asked to;
    /// null when neither applies. A wildcard listening host (<c>+</c>, <c>*</c>, <c>0.0.0.0</c>, <c>[::]</c>) names no
    /// address another host could dial, so it is not advertised.
    /// </summary>
    public static string? AddressToAdvertise(SyncOptions options, IEnumerable<string> listening)
    {
        if (options.AdvertisedAddress is { Length: > 0 } configured)
        {
            return ParseAdvertised(configured)?.GetLeftPart(UriPartial.Authority)
                ?? throw new InvalidOperationException(AdvertisedAddressProblem(configured));
        }

        if (!options.AdvertiseListenAddress)
        {
            return null;
        }

        // Kestrel's own parser of listening addresses, which reads "http://+:80" and "http://*:80" too.
        return listening
            .Select(BindingAddress.Parse)
            .Where(address => address.Scheme == "http" && address.Host is not ("+" or "*" or "0.0.0.0" or "[::]"))
            .Select(address => $"http://{address.Host}:{address.Port}")
            .FirstOrDefault();
    }

    /// <summary>
    /// Why <c>Sync:AdvertisedAddress</c> cannot be used, or null when it is unset or fine (checked as the host starts:
    /// <see cref="AdvertisedAddressValidation"/>).
    /// </summary>
    public static string? AdvertisedAddressProblem(string? configured) =>
        configured is not { Length: > 0 } || ParseAdvertised(configured) is not null
            ? null
            : $"Sync:AdvertisedAddress '{configured}' is not an absolute http(s) address such as http://sync-1.internal:8080.";

    private static Uri? ParseAdvertised(string configured) =>
        Uri.TryCreate(configured, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https" ? uri : null;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // The listening addresses are known once the server has started.
        await WhenStartedAsync(stoppingToken);
        var listening = server.Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
        _address = AddressToAdvertise(options.Value, listening);
        if (_address is null)
        {
            logger.LogInformation("This replica advertises no address (Sync:AdvertisedAddress, Sync:AdvertiseListenAddress); the gateway reaches Sync by its service name");
            return;
        }

        logger.LogInformation("This replica advertises {Address} to the gateway", _address);
        using var timer = new PeriodicTimer(HeartbeatEvery);
        do
        {
            try
            {
                await using var batch = db.CreateBatch();
                var seen = new NpgsqlBatchCommand(
                    $"insert into {SyncSchema.Replicas} (address, seen_at) values ($1, now()) on conflict (address) do update set seen_at = now()");
                seen.Parameters.AddWithValue(_address);
                batch.BatchCommands.Add(seen);
                // Rows of replicas long gone (killed, never stopped) would otherwise stay forever; the list ignores them already.
                batch.BatchCommands.Add(new NpgsqlBatchCommand($"delete from {SyncSchema.Replicas} where seen_at < now() - interval '1 hour'"));
                await batch.ExecuteNonQueryAsync(stoppingToken);
            }
            // Any exception, not only an outage's: one escaping a background loop would stop the whole service.
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                // Missed heartbeats drop this replica from the list after FreshFor; the gateway then uses the others.
                logger.LogWarning(e, "Could not advertise this replica's address");
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        if (_address is null)
        {
            return;
        }

        try
        {
            // Gone from the list at once, so the gateway stops choosing it before its port closes.
            await using var gone = db.CreateCommand($"delete from {SyncSchema.Replicas} where address = $1");
            gone.Parameters.AddWithValue(_address);
            await gone.ExecuteNonQueryAsync(cancellationToken);
        }
        // ObjectDisposedException: the data source was disposed before this ran (seen once as a test host was torn down);
        // a stop must still complete, and what was not written is lost as on a crash.
        catch (Exception e) when (e is NpgsqlException or TimeoutException or OperationCanceledException or ObjectDisposedException)
        {
            logger.LogWarning(e, "Could not withdraw this replica's address at shutdown");
        }
    }

    private Task WhenStartedAsync(CancellationToken ct)
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lifetime.ApplicationStarted.Register(() => started.TrySetResult());
        return started.Task.WaitAsync(ct);
    }
}
