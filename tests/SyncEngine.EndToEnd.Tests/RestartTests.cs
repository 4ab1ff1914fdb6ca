using System.Net;
using System.Net.WebSockets;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.DependencyInjection;
using SyncEngine.Client;
using SyncEngine.Testing;
using Xunit;

namespace SyncEngine.EndToEnd.Tests;

[Collection(SyncEngineCollection.Name)]
public sealed class RestartTests(SyncEngineApp app)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task tokens_keep_working_and_revocations_keep_holding_after_the_services_restart()
    {
        var workspaceId = Guid.NewGuid();
        var owner = Guid.NewGuid();
        var master = (await app.Api.ClaimAsync(workspaceId, owner, Guid.NewGuid().ToString(), Ct)).Token;
        var revokedClient = Guid.NewGuid();
        var grant = await app.Api.GrantAsync(master, workspaceId, revokedClient, "read_write", ct: Ct);
        var revokedToken = (await app.Api.JoinAsync(workspaceId, revokedClient, grant.InviteCode, Ct)).Token;
        await app.Api.RevokeAsync(master, workspaceId, revokedClient, Ct);
        await app.Api.PushAsync(master, workspaceId, [1], Guid.NewGuid(), 1, Ct);
        await Eventually.Until(token => Status($"/api/workspaces/{workspaceId}", revokedToken, token),
            s => s == HttpStatusCode.Unauthorized, TimeSpan.FromSeconds(5), Ct);
        await Eventually.Until(token => Status($"/api/workspaces/{workspaceId}/changes?after=0", revokedToken, token),
            s => s == HttpStatusCode.Unauthorized, TimeSpan.FromSeconds(5), Ct);

        // A workspace locked out before versions were bounded: a writer had moved it to int.MaxValue.
        var (poisoned, _, poisonedMaster) = await app.NewWorkspaceAsync(Ct);
        await app.Api.PushAsync(poisonedMaster, poisoned, [1], Guid.NewGuid(), 1, Ct);
        await using (var db = await app.OpenDatabaseAsync(Ct))
        await using (var poison = new Npgsql.NpgsqlCommand($"update sync.logs set schema_version = {int.MaxValue} where workspace_id = $1", db))
        {
            poison.Parameters.AddWithValue(poisoned);
            Assert.Equal(1, await poison.ExecuteNonQueryAsync(Ct));
        }

        using (var lockedOut = await app.Gateway.SendAsync(HttpMethod.Post, $"/api/workspaces/{poisoned}/changes", poisonedMaster, Ct,
            new ByteArrayContent([2]), ("Idempotency-Key", Guid.NewGuid().ToString()), ("Sync-Schema-Version", "1")))
        {
            await Problems.AssertProblem(lockedOut, HttpStatusCode.Conflict, "outdated-version");
        }

        // A device on the realtime channel, through the gateway: its replica, stopped, says so with 1001.
        await using var device = await SyncSocket.ConnectAsync(app.Gateway.BaseAddress!, Ct);
        await device.SubscribeAsync(0, workspaceId, master, 0, Ct);
        Assert.Equal("subscribed", (await device.NextAsync(m => m.Type is "subscribed" or "error", TimeSpan.FromSeconds(10), Ct))?.Type);

        string[] services = ["auth", "workspace", "sync"];
        var environmentBefore = await SpecEnvironmentAsync("sync");
        Assert.True(environmentBefore.Count >= 2, $"expected two Sync replicas, found {environmentBefore.Count}");
        Assert.All(environmentBefore.Values, variables => Assert.Contains("ConnectionStrings__syncengine", variables));
        await Task.WhenAll(services.Select(async service =>
        {
            // Replica by replica: Aspire 13.6 caches each environment callback's result on the resource, which its
            // replicas share, so two replicas restarted at once can each be given the other's half-built environment
            // (both Sync replicas once started without their connection string). Its first start builds them in turn.
            foreach (var id in (await SyncEngineApp.ResourcesAsync(app.App, Ct)).Where(r => r.Value.Name == service).Select(r => r.Key))
            {
                var result = await app.App.ResourceCommands.ExecuteCommandAsync(id, "restart", Ct);
                Assert.True(result.Success, $"restarting {id}: {result.Message}");
            }
        }));
        foreach (var service in services)
        {
            await app.WaitUntilHealthyAsync(service, TimeSpan.FromMinutes(2), Ct);
        }

        Assert.Null(await device.NextAsync(_ => false, TimeSpan.FromSeconds(10), Ct));
        Assert.True(device.Socket.CloseStatus == WebSocketCloseStatus.EndpointUnavailable,
            $"the device's socket ended {device.Socket.State}, close status {device.Socket.CloseStatus?.ToString() ?? "none"}");

        // Each replica started again with the environment it first had (names only: values hold passwords).
        // A restarted replica's snapshot lists its environment once DCP reports it, which can come after it is healthy.
        var environmentAfter = await Eventually.Until(_ => SpecEnvironmentAsync("sync"),
            env => env.Count == environmentBefore.Count && env.Values.All(variables => variables.Count > 0), TimeSpan.FromSeconds(30), Ct);
        Assert.Equal(environmentBefore.Keys.Order(), environmentAfter.Keys.Order());
        foreach (var (replica, variables) in environmentAfter)
        {
            Assert.True(variables.SetEquals(environmentBefore[replica]),
                $"{replica} restarted without: {string.Join(", ", environmentBefore[replica].Except(variables))}");
        }

        var masterAtWorkspace = await Eventually.Until(token => Status($"/api/workspaces/{workspaceId}", master, token),
            s => s == HttpStatusCode.OK, TimeSpan.FromSeconds(30), Ct);
        Assert.Equal(HttpStatusCode.OK, masterAtWorkspace);
        Assert.Equal(HttpStatusCode.OK, await Status($"/api/workspaces/{workspaceId}/tokens", master, Ct));
        Assert.Equal(HttpStatusCode.Unauthorized, await Status($"/api/workspaces/{workspaceId}", revokedToken, Ct));
        Assert.Equal(HttpStatusCode.Unauthorized, await Status($"/api/workspaces/{workspaceId}/tokens", revokedToken, Ct));

        // Sync, restarted with an empty revocation cache, still refuses the revoked token (from its own schema) and
        // still serves the master; each replica on its own, since the proxy may keep sending this client to one.
        var replicas = await Eventually.Until(t => app.SyncReplicaAddressesAsync(t), a => a.Count >= 2, TimeSpan.FromSeconds(30), Ct);
        Assert.True(replicas.Count >= 2, $"expected two Sync replicas after the restart, found {replicas.Count}");
        foreach (var address in replicas)
        {
            using var replica = new HttpClient { BaseAddress = address };
            var pulled = await Eventually.Until(t => replica.StatusAsync($"/api/workspaces/{workspaceId}/changes?after=0", master, t),
                s => s == HttpStatusCode.OK, TimeSpan.FromSeconds(30), Ct);
            Assert.True(pulled == HttpStatusCode.OK, $"{address} answered {pulled} to the master's pull after the restart");
            using var refused = await replica.SendAsync(HttpMethod.Get, $"/api/workspaces/{workspaceId}/changes?after=0", revokedToken, Ct);
            await Problems.AssertProblem(refused, HttpStatusCode.Unauthorized, "unauthorized");
        }

        Assert.Equal(2, await app.Api.PushAsync(master, workspaceId, [2], Guid.NewGuid(), 1, Ct));
        Assert.Equal(2, (await app.Api.PullAsync(master, workspaceId, 0, Ct)).Head);

        // Sync moved the unreleased version back to the newest released one at start: real clients write again.
        Assert.Equal(SyncEngineApp.MaxSchemaVersion, (await app.Api.PullAsync(poisonedMaster, poisoned, 0, Ct)).SchemaVersion);
        Assert.Equal(2, await app.Api.PushAsync(poisonedMaster, poisoned, [2], Guid.NewGuid(), SyncEngineApp.MaxSchemaVersion, Ct));
    }

    /// <summary>The names of the variables Aspire gave each replica's process (its DCP spec), by resource id.</summary>
    private async Task<IReadOnlyDictionary<string, HashSet<string>>> SpecEnvironmentAsync(string resource) =>
        (await SyncEngineApp.ResourcesAsync(app.App, Ct)).Where(r => r.Value.Name == resource)
            .ToDictionary(r => r.Key, r => r.Value.Snapshot.EnvironmentVariables.Where(v => v.IsFromSpec).Select(v => v.Name).ToHashSet(StringComparer.Ordinal));

    private Task<HttpStatusCode> Status(string path, string token, CancellationToken ct) => app.Gateway.StatusAsync(path, token, ct);
}
