using System.Net;
using System.Net.Http.Json;
using SyncEngine.Testing;
using Xunit;

namespace SyncEngine.EndToEnd.Tests;

/// <summary>Master tokens never expire, so the owner can end the others, and a claim's key mints them only for a while.</summary>
[Collection(SyncEngineCollection.Name)]
public sealed class MasterTokenTests(SyncEngineApp app)
{
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(1);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task the_owner_ends_its_other_master_tokens_and_keeps_the_one_it_calls_with()
    {
        var (workspaceId, owner) = (Guid.NewGuid(), Guid.NewGuid());
        var key = Guid.NewGuid().ToString();
        var kept = (await app.Api.ClaimAsync(workspaceId, owner, key, Ct)).Token;
        // A retry with the claim's key mints another master token: the one a thief of the key would hold.
        var other = (await app.Api.ClaimAsync(workspaceId, owner, key, Ct)).Token;
        await app.Api.PushAsync(other, workspaceId, [1], Guid.NewGuid(), 1, Ct);
        await using var otherStream = await EventStream.OpenAsync(app.Gateway, workspaceId, other, null, Ct);
        await using var keptStream = await EventStream.OpenAsync(app.Gateway, workspaceId, kept, null, Ct);
        Assert.NotNull(await otherStream.NextMatchingAsync(m => m.Event == "head", TimeSpan.FromSeconds(10), Ct));
        Assert.NotNull(await keptStream.NextMatchingAsync(m => m.Event == "head", TimeSpan.FromSeconds(10), Ct));

        using (var revoke = await app.Gateway.SendAsync(HttpMethod.Delete, $"/api/workspaces/{workspaceId}/tokens/{owner}", kept, Ct))
        {
            Assert.Equal(HttpStatusCode.NoContent, revoke.StatusCode);
        }

        Assert.NotNull(await otherStream.NextMatchingAsync(m => m.Event == "revoked", TimeSpan.FromSeconds(5), Ct));
        foreach (var path in new[] { $"/api/workspaces/{workspaceId}/changes?after=0", $"/api/workspaces/{workspaceId}", $"/api/workspaces/{workspaceId}/tokens" })
        {
            Assert.Equal(HttpStatusCode.Unauthorized, await Eventually.Until(
                t => app.Gateway.StatusAsync(path, other, t), s => s == HttpStatusCode.Unauthorized, Budget, Ct));
        }

        using (var push = await app.Gateway.SendAsync(HttpMethod.Post, $"/api/workspaces/{workspaceId}/changes", other, Ct,
            new ByteArrayContent([2]), ("Idempotency-Key", Guid.NewGuid().ToString()), ("Sync-Schema-Version", "1")))
        {
            await Problems.AssertProblem(push, HttpStatusCode.Unauthorized, "unauthorized");
        }

        // The caller's own token and its stream carry on.
        Assert.Equal(2, await app.Api.PushAsync(kept, workspaceId, [3], Guid.NewGuid(), 1, Ct));
        Assert.NotNull(await keptStream.NextMatchingAsync(m => m.Event == "head" && m.Id == "2", TimeSpan.FromSeconds(10), Ct));
        Assert.Equal(2, (await app.Api.PullAsync(kept, workspaceId, 0, Ct)).Head);
        var masters = (await app.Api.ListTokensAsync(kept, workspaceId, Ct)).Where(t => t.IsMaster).ToList();
        Assert.Equal(2, masters.Count);
        Assert.Equal(new[] { "active", "revoked" }, masters.Select(t => t.Status).Order());
        // The audit log says so, once, with the owner as actor.
        var history = await Eventually.Until(async t => (await app.Api.GetHistoryAsync(kept, workspaceId, t)).EnumerateArray().ToList(),
            h => h.Any(e => e.GetProperty("type").GetString() == "masters-revoked"), TimeSpan.FromSeconds(10), Ct);
        var ended = Assert.Single(history, e => e.GetProperty("type").GetString() == "masters-revoked");
        Assert.Equal(owner, ended.GetProperty("actor").GetGuid());
        Assert.Equal(owner, ended.GetProperty("clientId").GetGuid());
    }

    [Fact]
    public async Task only_a_master_token_ends_master_tokens()
    {
        var (workspaceId, owner, master) = await app.NewWorkspaceAsync(Ct);
        var (_, member) = await app.NewMemberAsync(workspaceId, master, "read_write", Ct);

        using var refused = await app.Gateway.SendAsync(HttpMethod.Delete, $"/api/workspaces/{workspaceId}/tokens/{owner}", member, Ct);

        await Problems.AssertProblem(refused, HttpStatusCode.Forbidden, "forbidden");
        Assert.Equal("active", Assert.Single(await app.Api.ListTokensAsync(master, workspaceId, Ct), t => t.IsMaster).Status);
    }

    [Fact]
    public async Task a_claims_idempotency_key_gets_no_master_token_after_the_retry_window()
    {
        // Claims of its own address: the ones from 127.0.0.1 share one per-minute budget with every other test.
        using var http = await app.GatewayFromAsync("127.0.0.5", Ct);
        var (workspaceId, owner) = (Guid.NewGuid(), Guid.NewGuid());
        var key = Guid.NewGuid().ToString();
        var claimed = await new SyncEngine.Client.SyncEngineClient(http).ClaimAsync(workspaceId, owner, key, Ct);
        var windowEnd = claimed.CreatedAt + SyncEngineApp.ClaimRetryWindow;

        using (var early = await ClaimAgainAsync(http, workspaceId, owner, key))
        {
            // Answered before the window's end, so decided within it; a machine too slow for that leaves only the late half.
            if (DateTimeOffset.UtcNow <= windowEnd)
            {
                Assert.Equal(HttpStatusCode.Created, early.StatusCode);
            }
        }

        var masters = (await app.Api.ListTokensAsync(claimed.Token, workspaceId, Ct)).Count(t => t.IsMaster);
        // The window's end is a time on the services' own clock (this machine's), so the wait polls that clock rather
        // than the API: one late claim, not one per poll.
        Assert.True(await Eventually.Until(_ => Task.FromResult(DateTimeOffset.UtcNow > windowEnd), past => past,
            SyncEngineApp.ClaimRetryWindow * 3, Ct), "the retry window did not pass");

        using var late = await ClaimAgainAsync(http, workspaceId, owner, key);

        await Problems.AssertProblem(late, HttpStatusCode.Conflict, "workspace-exists");
        Assert.Equal(masters, (await app.Api.ListTokensAsync(claimed.Token, workspaceId, Ct)).Count(t => t.IsMaster));
    }

    [Fact]
    public async Task a_retry_with_the_claims_key_after_the_owner_ended_its_other_master_tokens_is_refused_and_mints_nothing()
    {
        using var http = await app.GatewayFromAsync("127.0.0.6", Ct);
        var client = new SyncEngine.Client.SyncEngineClient(http);
        var (workspaceId, owner) = (Guid.NewGuid(), Guid.NewGuid());
        var key = Guid.NewGuid().ToString();
        var kept = (await client.ClaimAsync(workspaceId, owner, key, Ct)).Token;
        // The thief's retry, well within the retry window.
        await client.ClaimAsync(workspaceId, owner, key, Ct);

        using (var revoke = await app.Gateway.SendAsync(HttpMethod.Delete, $"/api/workspaces/{workspaceId}/tokens/{owner}", kept, Ct))
        {
            Assert.Equal(HttpStatusCode.NoContent, revoke.StatusCode);
        }

        // Workspace learns of it by message: its history entry says the claim's aggregate has applied it.
        var history = await Eventually.Until(async t => (await app.Api.GetHistoryAsync(kept, workspaceId, t)).EnumerateArray().ToList(),
            h => h.Any(e => e.GetProperty("type").GetString() == "masters-revoked"), TimeSpan.FromSeconds(10), Ct);
        Assert.Contains(history, e => e.GetProperty("type").GetString() == "masters-revoked");

        using var retry = await ClaimAgainAsync(http, workspaceId, owner, key);

        await Problems.AssertProblem(retry, HttpStatusCode.Conflict, "workspace-exists");
        var masters = (await app.Api.ListTokensAsync(kept, workspaceId, Ct)).Where(t => t.IsMaster).ToList();
        Assert.Equal(new[] { "active", "revoked" }, masters.Select(t => t.Status).Order());
    }

    private static Task<HttpResponseMessage> ClaimAgainAsync(HttpClient http, Guid workspaceId, Guid owner, string key) =>
        http.SendAsync(HttpMethod.Post, "/api/workspaces", null, Ct,
            JsonContent.Create(new { workspaceId, clientId = owner }), ("Idempotency-Key", key));
}
