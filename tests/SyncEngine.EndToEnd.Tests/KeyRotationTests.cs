using System.Collections.Concurrent;
using System.Net;
using SyncEngine.Testing;
using Xunit;

namespace SyncEngine.EndToEnd.Tests;

/// <summary>
/// Rotation as an operator does it (Auth's README, "Keys"): Auth's own `keys` command against the running app's
/// database adds a key, then retires the old one. The fixture reloads Auth's ring every second and has validators
/// refetch keys every two seconds (`Auth:KeyReloadEvery`, `Security:KeyRefreshEvery`), so the test does not wait
/// the production minutes.
/// </summary>
// On the RabbitMQ app, although it does not depend on the transport: see RabbitMqCollection.
[Collection(RabbitMqCollection.Name)]
public sealed class KeyRotationTests(RabbitMqApp app)
{
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(20);
    private readonly ConcurrentDictionary<Uri, HttpClient> _replicaClients = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task a_new_key_signs_tokens_every_service_accepts_and_a_retired_keys_tokens_are_refused_everywhere()
    {
        var old = await app.NewWorkspaceAsync(Ct);
        await app.Api.PushAsync(old.Master, old.WorkspaceId, [1], Guid.NewGuid(), 1, Ct);
        var oldKid = Jwt.KeyId(old.Master);

        var added = await KeysCommandAsync(["add", "--activate-in", "0"]);
        var newKid = AuthKeysCommand.AddedKid(added);
        Assert.NotEqual(oldKid, newKid);

        Assert.Contains(newKid, await Eventually.Until(PublishedKidsAsync, kids => kids.Contains(newKid), Settle, Ct));
        var fresh = await Eventually.Until(app.NewWorkspaceAsync, w => Jwt.KeyId(w.Master) == newKid, Settle, Ct);
        Assert.Equal(newKid, Jwt.KeyId(fresh.Master));
        foreach (var (service, http, path) in await RoutesAsync(fresh.WorkspaceId))
        {
            var status = await Eventually.Until(t => http.StatusAsync(path, fresh.Master, t), Accepted, Settle, Ct);
            Assert.True(Accepted(status), $"{service} answered {status} to a token of the new key");
        }

        Assert.Equal(1, await app.Api.PushAsync(fresh.Master, fresh.WorkspaceId, [2], Guid.NewGuid(), 1, Ct));
        // Still published, so its tokens still work until it is retired.
        foreach (var (service, http, path) in await RoutesAsync(old.WorkspaceId))
        {
            Assert.True(Accepted(await http.StatusAsync(path, old.Master, Ct)), $"{service} refused the old key before its retirement");
        }

        await KeysCommandAsync(["retire", "--kid", oldKid]);

        Assert.DoesNotContain(oldKid, await Eventually.Until(PublishedKidsAsync, kids => !kids.Contains(oldKid), Settle, Ct));
        foreach (var (service, http, path) in await RoutesAsync(old.WorkspaceId))
        {
            var status = await Eventually.Until(t => http.StatusAsync(path, old.Master, t), s => s == HttpStatusCode.Unauthorized, Settle, Ct);
            Assert.True(status == HttpStatusCode.Unauthorized, $"{service} still answered {status} to a token of the retired key");
            using var refused = await http.SendAsync(HttpMethod.Get, path, old.Master, Ct);
            await Problems.AssertProblem(refused, HttpStatusCode.Unauthorized, "unauthorized");
        }

        foreach (var (service, http, path) in await RoutesAsync(fresh.WorkspaceId))
        {
            Assert.True(Accepted(await http.StatusAsync(path, fresh.Master, Ct)), $"{service} refused the new key after the old one retired");
        }
    }

    /// <summary>
    /// One route of each service that takes the master token and changes nothing; Sync's on each replica directly, since
    /// through the gateway the proxy may answer every check from the same replica (and leave the other one unproven).
    /// </summary>
    private async Task<List<(string Service, HttpClient Http, string Path)>> RoutesAsync(Guid workspaceId)
    {
        var replicas = await Eventually.Until(t => app.SyncReplicaAddressesAsync(t), a => a.Count >= 2, TimeSpan.FromSeconds(30), Ct);
        Assert.True(replicas.Count >= 2, $"expected two Sync replicas, found {replicas.Count}");
        return
        [
            ("auth", app.Gateway, $"/api/workspaces/{workspaceId}/tokens"),
            ("workspace", app.Gateway, $"/api/workspaces/{workspaceId}"),
            .. replicas.Select(replica => ($"sync replica {replica}", _replicaClients.GetOrAdd(replica, a => new HttpClient { BaseAddress = a }),
                $"/api/workspaces/{workspaceId}/changes?after=0")),
        ];
    }

    // A pull of an empty workspace is 204.
    private static bool Accepted(HttpStatusCode status) => status is HttpStatusCode.OK or HttpStatusCode.NoContent;

    private async Task<List<string>> PublishedKidsAsync(CancellationToken ct)
    {
        using var response = await app.Gateway.GetAsync("/.well-known/jwks.json", ct);
        return (await response.Json()).GetProperty("keys").EnumerateArray().Select(k => k.GetProperty("kid").GetString()!).ToList();
    }

    /// <summary>Runs `Services.Auth keys ...` as the README shows, against the database the app under test uses.</summary>
    private async Task<string> KeysCommandAsync(string[] arguments) =>
        await AuthKeysCommand.RunAsync(await app.ServiceConnectionStringAsync("auth", Ct), app.KeyEncryptionKey, arguments, Ct);
}
