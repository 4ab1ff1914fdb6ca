using System.Diagnostics;
using System.Net;
using Xunit;

namespace SyncEngine.EndToEnd.Tests;

/// <summary>DESIGN's one second, held by every service that accepts tokens, each Sync replica on its own.</summary>
[Collection(SyncEngineCollection.Name)]
public sealed class RevocationTests(SyncEngineApp app)
{
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(1);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task each_sync_replica_and_auth_refuse_a_revoked_token_within_a_second()
    {
        var (workspaceId, _, master) = await app.NewWorkspaceAsync(Ct);
        var (client, token) = await app.NewMemberAsync(workspaceId, master, "read_write", Ct);
        var replicas = await ReplicasAcceptingAsync(workspaceId, token);
        // Auth's token list is for the master: a member's valid token is 403 there, a revoked one 401.
        using (var before = await app.Gateway.SendAsync(HttpMethod.Get, $"/api/workspaces/{workspaceId}/tokens", token, Ct))
        {
            await Problems.AssertProblem(before, HttpStatusCode.Forbidden, "forbidden");
        }

        await app.Api.RevokeAsync(master, workspaceId, client, Ct);
        var sinceRevoke = Stopwatch.StartNew();

        var checks = replicas.Select(replica => (Name: replica.BaseAddress!.ToString(), Status: RefusedWithinBudgetAsync(replica, $"/api/workspaces/{workspaceId}/changes?after=0", token)))
            .Append((Name: "auth", Status: RefusedWithinBudgetAsync(app.Gateway, $"/api/workspaces/{workspaceId}/tokens", token)))
            .ToList();
        await Task.WhenAll(checks.Select(c => c.Status));
        var elapsed = sinceRevoke.Elapsed;

        foreach (var (name, status) in checks)
        {
            Assert.True(await status == HttpStatusCode.Unauthorized, $"{name} still answered {await status} to the revoked token after {elapsed}");
        }

        foreach (var replica in replicas)
        {
            using var refused = await replica.SendAsync(HttpMethod.Get, $"/api/workspaces/{workspaceId}/changes?after=0", token, Ct);
            await Problems.AssertProblem(refused, HttpStatusCode.Unauthorized, "unauthorized");
        }

        using var byAuth = await app.Gateway.SendAsync(HttpMethod.Get, $"/api/workspaces/{workspaceId}/tokens", token, Ct);
        await Problems.AssertProblem(byAuth, HttpStatusCode.Unauthorized, "unauthorized");
        foreach (var replica in replicas)
        {
            replica.Dispose();
        }
    }

    [Fact]
    public async Task a_client_granted_again_after_revocation_pushes_and_pulls_through_sync_while_its_old_token_stays_refused()
    {
        var (workspaceId, _, master) = await app.NewWorkspaceAsync(Ct);
        var (client, oldToken) = await app.NewMemberAsync(workspaceId, master, "read_write", Ct);
        await app.Api.PushAsync(oldToken, workspaceId, [1], Guid.NewGuid(), 1, Ct);
        await app.Api.RevokeAsync(master, workspaceId, client, Ct);
        Assert.Equal(HttpStatusCode.Unauthorized,
            await RefusedWithinBudgetAsync(app.Gateway, $"/api/workspaces/{workspaceId}/changes?after=0", oldToken));

        // Granted and joined again at once, within the revocation's second: the new token must not be born revoked.
        var grant = await app.Api.GrantAsync(master, workspaceId, client, "read_write", ct: Ct);
        var newToken = (await app.Api.JoinAsync(workspaceId, client, grant.InviteCode, Ct)).Token;

        var seq = await app.Api.PushAsync(newToken, workspaceId, [2, 2], Guid.NewGuid(), 1, Ct);
        var pulled = await app.Api.PullAsync(newToken, workspaceId, 0, Ct);

        Assert.Equal(2, seq);
        Assert.Equal(2, pulled.Head);
        Assert.Equal([[1], [2, 2]], pulled.Frames.Select(f => f.Data));
        using var push = await app.Gateway.SendAsync(HttpMethod.Post, $"/api/workspaces/{workspaceId}/changes", oldToken, Ct,
            new ByteArrayContent([3]), ("Idempotency-Key", Guid.NewGuid().ToString()), ("Sync-Schema-Version", "1"));
        await Problems.AssertProblem(push, HttpStatusCode.Unauthorized, "unauthorized");
        Assert.Equal(2, (await app.Api.PullAsync(master, workspaceId, 0, Ct)).Head);
    }

    // An empty workspace's pull is 204.
    private static bool Accepted(HttpStatusCode status) => status is HttpStatusCode.OK or HttpStatusCode.NoContent;

    /// <summary>Polls until the token is refused or the one-second budget (counted from this call) is spent.</summary>
    private static Task<HttpStatusCode> RefusedWithinBudgetAsync(HttpClient http, string path, string token) =>
        Eventually.Until(async t =>
            {
                using var response = await http.SendAsync(HttpMethod.Get, path, token, t);
                return response.StatusCode;
            },
            s => s == HttpStatusCode.Unauthorized, Budget, Ct);

    /// <summary>A client per Sync replica, each already accepting the member (a replica restarted by another test may still be starting).</summary>
    private async Task<List<HttpClient>> ReplicasAcceptingAsync(Guid workspaceId, string token)
    {
        var addresses = await Eventually.Until(t => app.SyncReplicaAddressesAsync(t), a => a.Count >= 2, TimeSpan.FromSeconds(30), Ct);
        Assert.True(addresses.Count >= 2, $"expected two Sync replicas, found {addresses.Count}");
        var replicas = addresses.Select(a => new HttpClient { BaseAddress = a }).ToList();
        foreach (var replica in replicas)
        {
            var status = await Eventually.Until(async t =>
                {
                    try
                    {
                        using var response = await replica.SendAsync(HttpMethod.Get, $"/api/workspaces/{workspaceId}/changes?after=0", token, t);
                        return response.StatusCode;
                    }
                    catch (HttpRequestException)
                    {
                        return HttpStatusCode.ServiceUnavailable;
                    }
                },
                Accepted, TimeSpan.FromSeconds(30), Ct);
            Assert.True(Accepted(status), $"replica {replica.BaseAddress} answered {status} to a valid member");
        }

        return replicas;
    }
}
