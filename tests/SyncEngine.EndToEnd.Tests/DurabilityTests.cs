using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using SyncEngine.Client;
using SyncEngine.Testing;
using Xunit;

namespace SyncEngine.EndToEnd.Tests;

[Collection(SyncEngineCollection.Name)]
public sealed class DurabilityTests(SyncEngineApp app)
{
    private const int Loops = 8;
    private const int PushesPerLoop = 40;
    private const int VictimAcksBeforeKill = 10;
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task every_push_a_replica_acknowledged_is_there_with_its_bytes_after_it_is_killed_with_pushes_in_flight()
    {
        var (workspaceId, _, master) = await app.NewWorkspaceAsync(Ct);
        var replicas = await SyncEngineApp.ServiceProcessesAsync(app.App, "sync", Ct);
        Assert.True(replicas.Count >= 2, $"expected Sync to run as several replicas, found {replicas.Count}");
        var (victimId, victimPid) = replicas[0];
        var victimAddress = ServiceProcesses.DirectAddressOf(victimPid) ?? throw new InvalidOperationException("no address for the victim");
        var survivorAddress = ServiceProcesses.DirectAddressOf(replicas[1].Pid) ?? throw new InvalidOperationException("no address for the survivor");
        // Straight to each replica's own port: Aspire's proxy would pick replicas per connection and hide which one answered.
        using var victimHttp = new HttpClient { BaseAddress = victimAddress };
        using var survivorHttp = new HttpClient { BaseAddress = survivorAddress };
        var victim = new SyncEngineClient(victimHttp);
        var survivor = new SyncEngineClient(survivorHttp);

        var acknowledged = new ConcurrentDictionary<long, byte[]>();
        var acknowledgedByVictim = new ConcurrentDictionary<long, byte[]>();
        var victimFailures = 0;
        var killNow = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        // A client's retry loop: the same Idempotency-Key until a replica acknowledges it; once the victim fails, the
        // loop moves to the survivor, as a client behind a load balancer would.
        async Task PushLoop(int loop)
        {
            var onVictim = loop % 2 == 0;
            for (var n = 0; n < PushesPerLoop; n++)
            {
                var change = BitConverter.GetBytes(loop * 1000 + n).Concat(Guid.NewGuid().ToByteArray()).ToArray();
                var key = Guid.NewGuid();
                for (var attempt = 1; ; attempt++)
                {
                    try
                    {
                        var seq = await (onVictim ? victim : survivor).PushAsync(master, workspaceId, change, key, 1, Ct);
                        Assert.True(acknowledged.TryAdd(seq, change) || acknowledged[seq].SequenceEqual(change), $"seq {seq} acknowledged for two changes");
                        if (onVictim)
                        {
                            acknowledgedByVictim[seq] = change;
                            if (acknowledgedByVictim.Count >= VictimAcksBeforeKill)
                            {
                                killNow.TrySetResult();
                            }
                        }

                        break;
                    }
                    catch (Exception e) when (attempt < 50 && e is HttpRequestException or SyncEngineApiException { Status: >= HttpStatusCode.InternalServerError })
                    {
                        if (onVictim)
                        {
                            Interlocked.Increment(ref victimFailures);
                            onVictim = false;
                        }
                    }
                }
            }
        }

        var loops = Enumerable.Range(0, Loops).Select(PushLoop).ToList();
        await killNow.Task.WaitAsync(TimeSpan.FromSeconds(60), Ct);
        var ackedBeforeKill = acknowledgedByVictim.Count;
        // SIGKILL to the service itself while the loops keep pushing to it: no shutdown hooks, no flushing.
        using (var process = Process.GetProcessById(victimPid))
        {
            process.Kill();
            Assert.True(process.WaitForExit(TimeSpan.FromSeconds(10)), "the killed Sync replica is still running");
        }

        await Task.WhenAll(loops);
        Assert.True(ackedBeforeKill >= 1, "the victim acknowledged nothing before it was killed");
        Assert.True(victimFailures >= 1, "no push to the victim failed: the kill did not interrupt the stream of pushes");
        Assert.Equal(Loops * PushesPerLoop, acknowledged.Count);

        var restart = await app.App.ResourceCommands.ExecuteCommandAsync(victimId, "start", Ct);
        Assert.True(restart.Success, restart.Message);
        var restartedAddress = await Eventually.Until(async token =>
            {
                var pid = (await SyncEngineApp.ServiceProcessesAsync(app.App, "sync", token)).Where(p => p.ResourceId == victimId && p.Pid != victimPid)
                    .Select(p => (int?)p.Pid).FirstOrDefault();
                if (pid is null || ServiceProcesses.DirectAddressOf(pid.Value) is not { } address)
                {
                    return null;
                }

                using var health = new HttpClient { BaseAddress = address };
                try
                {
                    using var response = await health.GetAsync("/health", token);
                    return response.IsSuccessStatusCode ? address : null;
                }
                catch (HttpRequestException)
                {
                    return null;
                }
            },
            address => address is not null, TimeSpan.FromMinutes(2), Ct);
        Assert.True(restartedAddress is not null, "the killed replica did not come back healthy");

        using var restartedHttp = new HttpClient { BaseAddress = restartedAddress };
        var pulled = await new SyncEngineClient(restartedHttp).PullAsync(master, workspaceId, 0, Ct);
        Assert.Equal(Loops * PushesPerLoop, pulled.Head);
        Assert.Equal(Enumerable.Range(1, Loops * PushesPerLoop).Select(i => (long)i), pulled.Frames.Select(f => f.Seq));
        foreach (var frame in pulled.Frames)
        {
            Assert.Equal(acknowledged[frame.Seq], frame.Data);
        }

        foreach (var (seq, change) in acknowledgedByVictim)
        {
            Assert.Equal(change, pulled.Frames[(int)seq - 1].Data);
        }
    }
}
