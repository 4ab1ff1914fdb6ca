using System.Net;
using System.Net.Http.Json;
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
        var (workspaceId, owner) = (Guid.NewGuid(), Guid.NewGuid());
        var key = Guid.NewGuid().ToString();
        var master = (await app.Api.ClaimAsync(workspaceId, owner, key, Ct)).Token;

        var status = await Eventually.Until(async t =>
            {
                using var retry = await app.Gateway.SendAsync(HttpMethod.Post, "/api/workspaces", null, t,
                    JsonContent.Create(new { workspaceId, clientId = owner }), ("Idempotency-Key", key));
                return retry.StatusCode;
            },
            s => s != HttpStatusCode.Created, SyncEngineApp.ClaimRetryWindow * 3, Ct);
        Assert.Equal(HttpStatusCode.Conflict, status);
        var masters = (await app.Api.ListTokensAsync(master, workspaceId, Ct)).Count(t => t.IsMaster);

        using var late = await app.Gateway.SendAsync(HttpMethod.Post, "/api/workspaces", null, Ct,
            JsonContent.Create(new { workspaceId, clientId = owner }), ("Idempotency-Key", key));

        await Problems.AssertProblem(late, HttpStatusCode.Conflict, "workspace-exists");
        Assert.Equal(masters, (await app.Api.ListTokensAsync(master, workspaceId, Ct)).Count(t => t.IsMaster));
    }
}
