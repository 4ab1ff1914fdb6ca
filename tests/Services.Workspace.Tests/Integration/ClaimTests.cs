using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using SyncEngine.Client;
using SyncEngine.Contracts.Auth;
using SyncEngine.Contracts.Workspaces;
using SyncEngine.Testing;
using Xunit;

namespace Services.Workspace.Tests.Integration;

/// <summary>Claiming a workspace (Workspace's README): the stream and WorkspaceClaimed together, then the master token from Auth.</summary>
public sealed class ClaimTests(WorkspaceService workspace)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private Task<HttpResponseMessage> ClaimAsync(Guid workspaceId, Guid owner, string? key) =>
        workspace.Http.SendAsync(HttpMethod.Post, "/api/workspaces", null, Ct,
            JsonContent.Create(new { workspaceId, clientId = owner }), key is null ? [] : [("Idempotency-Key", key)]);

    [Fact]
    public async Task a_claim_publishes_workspace_claimed_to_auth_and_sync_and_returns_the_owners_master_token()
    {
        var (workspaceId, owner) = (Guid.NewGuid(), Guid.NewGuid());
        ClaimedWorkspace? claimed = null;

        var session = await workspace.TrackAsync(async () => claimed = await workspace.Api.ClaimAsync(workspaceId, owner, Guid.NewGuid().ToString(), Ct));

        var sent = session.SentOf<WorkspaceClaimed>(m => m.WorkspaceId == workspaceId);
        Assert.Equal(["auth", "sync"], sent.Select(s => s.Queue));
        Assert.All(sent, s => Assert.Equal((owner, claimed!.CreatedAt), (s.Message.OwnerClientId, s.Message.ClaimedAt)));
        Assert.Equal((workspaceId, owner), (claimed!.WorkspaceId, claimed.OwnerClientId));
        Assert.Equal(Assert.Single(workspace.IssuedFor(workspaceId)).Token, claimed.Token);
        var info = await workspace.Api.GetWorkspaceAsync(claimed.Token, workspaceId, Ct);
        Assert.Equal(owner, info.GetProperty("ownerClientId").GetGuid());
    }

    [Fact]
    public async Task a_retried_claim_with_the_same_key_gets_a_master_token_again_and_appends_nothing()
    {
        var (workspaceId, owner) = (Guid.NewGuid(), Guid.NewGuid());
        var key = Guid.NewGuid().ToString();
        var first = await workspace.Api.ClaimAsync(workspaceId, owner, key, Ct);
        ClaimedWorkspace? retry = null;

        var session = await workspace.TrackAsync(async () => retry = await workspace.Api.ClaimAsync(workspaceId, owner, key, Ct));

        Assert.Equal(first.CreatedAt, retry!.CreatedAt);
        Assert.Equal(2, workspace.IssuedFor(workspaceId).Count);
        Assert.Empty(session.SentOf<WorkspaceClaimed>(m => m.WorkspaceId == workspaceId));
        var info = await workspace.Api.GetWorkspaceAsync(retry.Token, workspaceId, Ct);
        Assert.True(info.TryGetProperty("members", out _), "the retried claim's token is not the master's");
        var history = await workspace.Api.GetHistoryAsync(retry.Token, workspaceId, Ct);
        Assert.Equal("created", Assert.Single(history.EnumerateArray()).GetProperty("type").GetString());
    }

    [Fact]
    public async Task claiming_a_workspace_with_another_key_or_client_is_refused_with_workspace_exists()
    {
        var (workspaceId, owner) = (Guid.NewGuid(), Guid.NewGuid());
        var key = Guid.NewGuid().ToString();
        await workspace.Api.ClaimAsync(workspaceId, owner, key, Ct);

        var otherClient = await Assert.ThrowsAsync<SyncEngineApiException>(() => workspace.Api.ClaimAsync(workspaceId, Guid.NewGuid(), key, Ct));
        var otherKey = await Assert.ThrowsAsync<SyncEngineApiException>(() => workspace.Api.ClaimAsync(workspaceId, owner, Guid.NewGuid().ToString(), Ct));

        Assert.Equal((HttpStatusCode.Conflict, "workspace-exists"), (otherClient.Status, otherClient.Code));
        Assert.Equal((HttpStatusCode.Conflict, "workspace-exists"), (otherKey.Status, otherKey.Code));
        Assert.Single(workspace.IssuedFor(workspaceId));
    }

    [Fact]
    public async Task concurrent_claims_of_one_id_make_one_owner_and_only_the_identical_retry_also_succeeds()
    {
        var workspaceId = Guid.NewGuid();
        var (owner, key) = (Guid.NewGuid(), Guid.NewGuid().ToString());
        var claims = Enumerable.Range(0, 6).Select(i => i % 2 == 0 ? (owner, key) : (Guid.NewGuid(), Guid.NewGuid().ToString())).ToList();

        var responses = await Task.WhenAll(claims.Select(c => ClaimAsync(workspaceId, c.Item1, c.Item2)));

        var winners = claims.Zip(responses).Where(p => p.Second.StatusCode == HttpStatusCode.Created).Select(p => p.First).ToList();
        Assert.NotEmpty(winners);
        Assert.Single(winners.Distinct());
        foreach (var (claim, response) in claims.Zip(responses).Where(p => !winners.Contains(p.First)))
        {
            await Problems.AssertProblem(response, HttpStatusCode.Conflict, "workspace-exists");
        }

        var history = await workspace.Api.GetHistoryAsync(workspace.IssuedFor(workspaceId)[0].Token, workspaceId, Ct);
        Assert.Equal("created", Assert.Single(history.EnumerateArray()).GetProperty("type").GetString());
        foreach (var response in responses)
        {
            response.Dispose();
        }
    }

    [Fact]
    public async Task a_claims_idempotency_key_gets_no_master_token_after_the_retry_window()
    {
        var (workspaceId, owner) = (Guid.NewGuid(), Guid.NewGuid());
        var key = Guid.NewGuid().ToString();
        var claimed = await workspace.Api.ClaimAsync(workspaceId, owner, key, Ct);
        var windowEnd = claimed.CreatedAt + WorkspaceService.ClaimRetryWindow;

        using (var early = await ClaimAsync(workspaceId, owner, key))
        {
            // Answered before the window's end, so decided within it; a machine too slow for that leaves only the late half.
            if (DateTimeOffset.UtcNow <= windowEnd)
            {
                Assert.Equal(HttpStatusCode.Created, early.StatusCode);
            }
        }

        var issued = workspace.IssuedFor(workspaceId).Count;
        // The window's end is a time on the service's clock (this machine's): poll the clock, then claim once.
        Assert.True(await Eventually.Until(_ => Task.FromResult(DateTimeOffset.UtcNow > windowEnd), past => past,
            WorkspaceService.ClaimRetryWindow * 3, Ct), "the retry window did not pass");

        using var late = await ClaimAsync(workspaceId, owner, key);

        await Problems.AssertProblem(late, HttpStatusCode.Conflict, "workspace-exists");
        Assert.Equal(issued, workspace.IssuedFor(workspaceId).Count);
    }

    [Fact]
    public async Task a_retry_with_the_claims_key_after_the_owner_ended_its_other_master_tokens_is_refused_and_mints_nothing()
    {
        var (workspaceId, owner) = (Guid.NewGuid(), Guid.NewGuid());
        var key = Guid.NewGuid().ToString();
        var kept = await workspace.Api.ClaimAsync(workspaceId, owner, key, Ct);
        // The thief's retry, well within the retry window.
        await workspace.Api.ClaimAsync(workspaceId, owner, key, Ct);
        var stolen = workspace.IssuedFor(workspaceId)[1];

        await workspace.InvokeAsync(new MasterTokensRevoked(workspaceId, owner, [stolen.TokenId], DateTimeOffset.UtcNow));
        using var retry = await ClaimAsync(workspaceId, owner, key);

        await Problems.AssertProblem(retry, HttpStatusCode.Conflict, "workspace-exists");
        Assert.Equal(2, workspace.IssuedFor(workspaceId).Count);
        var history = await workspace.Api.GetHistoryAsync(kept.Token, workspaceId, Ct);
        Assert.Equal(["created", "masters-revoked"], history.EnumerateArray().Select(e => e.GetProperty("type").GetString()));
        // Workspace refuses the ended token itself.
        using var refused = await workspace.Http.SendAsync(HttpMethod.Get, $"/api/workspaces/{workspaceId}", stolen.Token, Ct);
        await Problems.AssertProblem(refused, HttpStatusCode.Unauthorized, "unauthorized");
    }

    [Fact]
    public async Task the_claim_key_is_stored_only_as_its_hash_and_a_retry_still_gets_the_master_token()
    {
        var (workspaceId, owner) = (Guid.NewGuid(), Guid.NewGuid());
        var key = $"claim-key-{Guid.NewGuid():N}";
        await workspace.Api.ClaimAsync(workspaceId, owner, key, Ct);

        await using var db = await workspace.Database.OpenAsync(Ct);
        var events = await db.QueryAsync("select data::text from workspace.mt_events where stream_id = $1", r => r.GetString(0), Ct, workspaceId);
        var snapshots = await db.QueryAsync("select data::text from workspace.mt_doc_workspace where id = $1", r => r.GetString(0), Ct, workspaceId);

        var created = Assert.Single(events);
        Assert.Single(snapshots);
        foreach (var stored in events.Concat(snapshots))
        {
            Assert.DoesNotContain(key, stored, StringComparison.Ordinal);
            Assert.Contains(Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(key))), stored, StringComparison.OrdinalIgnoreCase);
        }

        var retry = await workspace.Api.ClaimAsync(workspaceId, owner, key, Ct);
        Assert.True((await workspace.Api.GetWorkspaceAsync(retry.Token, workspaceId, Ct)).TryGetProperty("members", out _), "the retry's token is not the master's");
        Assert.Equal([created], await db.QueryAsync("select data::text from workspace.mt_events where stream_id = $1", r => r.GetString(0), Ct, workspaceId));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("201-characters")]
    public async Task a_claim_without_a_usable_idempotency_key_is_an_invalid_request_and_stores_nothing(string? key)
    {
        var workspaceId = Guid.NewGuid();

        using var response = await ClaimAsync(workspaceId, Guid.NewGuid(), key == "201-characters" ? new string('k', 201) : key);

        await Problems.AssertProblem(response, HttpStatusCode.BadRequest, "invalid-request");
        await AssertNotClaimedAsync(workspaceId);
    }

    [Theory]
    [InlineData("{")]
    [InlineData("not json at all")]
    [InlineData("[]")]
    [InlineData("null")]
    [InlineData("{\"workspaceId\":\"not-a-uuid\",\"clientId\":\"00000000-0000-0000-0000-000000000001\"}")]
    [InlineData("{\"workspaceId\":\"00000000-0000-0000-0000-000000000000\",\"clientId\":\"6f1c2f0e-8a6e-4c36-9f57-0b1f7b8d2a11\"}")]
    [InlineData("{\"workspaceId\":\"6f1c2f0e-8a6e-4c36-9f57-0b1f7b8d2a11\"}")]
    [InlineData("{}")]
    public async Task malformed_claims_are_invalid_requests_not_server_errors(string json)
    {
        using var response = await workspace.Http.SendAsync(HttpMethod.Post, "/api/workspaces", null, Ct,
            new StringContent(json, Encoding.UTF8, "application/json"), ("Idempotency-Key", Guid.NewGuid().ToString()));

        await Problems.AssertProblem(response, HttpStatusCode.BadRequest, "invalid-request");
        await AssertNotClaimedAsync(Guid.Parse("6f1c2f0e-8a6e-4c36-9f57-0b1f7b8d2a11"));
    }

    [Fact]
    public async Task a_claim_without_a_json_body_is_refused_with_a_problem()
    {
        using var response = await workspace.Http.SendAsync(HttpMethod.Post, "/api/workspaces", null, Ct,
            new StringContent("workspaceId=1", Encoding.UTF8, "text/plain"), ("Idempotency-Key", Guid.NewGuid().ToString()));

        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.True(response.StatusCode is HttpStatusCode.BadRequest or HttpStatusCode.UnsupportedMediaType, $"got {response.StatusCode}");
    }

    private async Task AssertNotClaimedAsync(Guid workspaceId)
    {
        await using var db = await workspace.Database.OpenAsync(Ct);
        Assert.Equal(0L, (await db.QueryAsync("select count(*) from workspace.mt_events where stream_id = $1", r => r.GetInt64(0), Ct, workspaceId)).Single());
        Assert.Empty(workspace.IssuedFor(workspaceId));
    }
}
