using System.Diagnostics;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using SyncEngine.Client;
using Xunit;

namespace SyncEngine.EndToEnd.Tests;

[Collection(SyncEngineCollection.Name)]
public sealed class DurabilityTests(SyncEngineApp app)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task every_acknowledged_push_survives_a_sync_replica_killed_mid_stream()
    {
        var workspaceId = Guid.NewGuid();
        var master = (await app.Api.ClaimAsync(workspaceId, Guid.NewGuid(), Guid.NewGuid().ToString(), Ct)).Token;
        var replicas = await SyncEngineApp.ServiceProcessesAsync(app.App, "sync", Ct);
        Assert.True(replicas.Count >= 2, $"expected Sync to run as several replicas, found {replicas.Count}");
        var (victimId, victimPid) = replicas[0];

        var acknowledged = new Dictionary<long, byte[]>();
        for (var i = 0; i < 120; i++)
        {
            if (i == 40)
            {
                // SIGKILL to the service itself: no shutdown hooks, no flushing; what it acknowledged must be in PostgreSQL.
                using var victim = Process.GetProcessById(victimPid);
                victim.Kill();
                Assert.True(victim.WaitForExit(TimeSpan.FromSeconds(10)), "the killed Sync replica is still running");
            }

            var change = BitConverter.GetBytes(i).Concat(Guid.NewGuid().ToByteArray()).ToArray();
            var seq = await PushWithRetriesAsync(master, workspaceId, change, Guid.NewGuid());
            Assert.False(acknowledged.ContainsKey(seq), $"seq {seq} was acknowledged twice");
            acknowledged[seq] = change;
        }

        var restart = await app.App.ResourceCommands.ExecuteCommandAsync(victimId, "start", Ct);
        Assert.True(restart.Success, restart.Message);
        var pulled = await app.Api.PullAsync(master, workspaceId, 0, Ct);

        Assert.Equal(120, pulled.Head);
        Assert.Equal(Enumerable.Range(1, 120).Select(i => (long)i), pulled.Frames.Select(f => f.Seq));
        foreach (var frame in pulled.Frames)
        {
            Assert.Equal(acknowledged[frame.Seq], frame.Data);
        }
    }

    /// <summary>A client's retry loop: the same Idempotency-Key until some replica acknowledges it.</summary>
    private async Task<long> PushWithRetriesAsync(string token, Guid workspaceId, byte[] change, Guid key)
    {
        using var backoff = new PeriodicTimer(TimeSpan.FromMilliseconds(100));
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await app.Api.PushAsync(token, workspaceId, change, key, 1, Ct);
            }
            catch (Exception e) when (attempt < 100 && e is HttpRequestException or SyncEngineApiException { Status: >= System.Net.HttpStatusCode.InternalServerError })
            {
                await backoff.WaitForNextTickAsync(Ct);
            }
        }
    }
}
