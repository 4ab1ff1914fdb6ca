using System.Net;
using SyncEngine.Testing;
using Xunit;

namespace SyncEngine.EndToEnd.Tests;

/// <summary>Writes that race for the same row or stream: one wins, the others get their 4xx problem, never a 500.</summary>
[Collection(SyncEngineCollection.Name)]
public sealed class ConcurrentWriteTests(SyncEngineApp app)
{
    private const int Racers = 5;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task one_invite_redeemed_five_times_at_once_gives_one_token_and_410_to_the_rest()
    {
        var (workspaceId, _, master) = await app.NewWorkspaceAsync(Ct);
        var client = Guid.NewGuid();
        var grant = await app.Api.GrantAsync(master, workspaceId, client, "read_write", ct: Ct);

        var responses = await Task.WhenAll(Enumerable.Range(0, Racers).Select(_ => app.Gateway.SendJsonAsync(
            HttpMethod.Post, $"/api/workspaces/{workspaceId}/join", null, new { clientId = client, inviteCode = grant.InviteCode }, Ct)));

        try
        {
            Assert.Single(responses, r => r.StatusCode == HttpStatusCode.OK);
            foreach (var refused in responses.Where(r => r.StatusCode != HttpStatusCode.OK))
            {
                await Problems.AssertProblem(refused, HttpStatusCode.Gone, "invite-invalid");
            }

            var token = (await responses.Single(r => r.StatusCode == HttpStatusCode.OK).Json()).GetProperty("token").GetString()!;
            Assert.Equal(0, (await app.Api.PullAsync(token, workspaceId, 0, Ct)).Head);
            var row = Assert.Single(await app.Api.ListTokensAsync(master, workspaceId, Ct), t => t.ClientId == client);
            Assert.Equal("active", row.Status);
        }
        finally
        {
            foreach (var response in responses)
            {
                response.Dispose();
            }
        }
    }

    [Fact]
    public async Task five_claims_of_one_id_at_once_give_one_owner_and_workspace_exists_to_the_rest()
    {
        var workspaceId = Guid.NewGuid();
        var claimants = Enumerable.Range(0, Racers).Select(_ => (Client: Guid.NewGuid(), Key: Guid.NewGuid().ToString())).ToList();

        var responses = await Task.WhenAll(claimants.Select(c => app.Gateway.SendAsync(
            HttpMethod.Post, "/api/workspaces", null, Ct, System.Net.Http.Json.JsonContent.Create(new { workspaceId, clientId = c.Client }),
            ("Idempotency-Key", c.Key))));

        try
        {
            var winner = Assert.Single(responses, r => r.StatusCode == HttpStatusCode.Created);
            foreach (var refused in responses.Where(r => r != winner))
            {
                await Problems.AssertProblem(refused, HttpStatusCode.Conflict, "workspace-exists");
            }

            var claimed = await winner.Json();
            var owner = claimed.GetProperty("ownerClientId").GetGuid();
            Assert.Contains(claimants, c => c.Client == owner);
            var history = await app.Api.GetHistoryAsync(claimed.GetProperty("token").GetString()!, workspaceId, Ct);
            var created = Assert.Single(history.EnumerateArray());
            Assert.Equal(("created", owner), (created.GetProperty("type").GetString(), created.GetProperty("actor").GetGuid()));
        }
        finally
        {
            foreach (var response in responses)
            {
                response.Dispose();
            }
        }
    }

    [Fact]
    public async Task racing_revokes_and_grants_of_one_client_answer_success_or_conflict_never_a_server_error()
    {
        var (workspaceId, _, master) = await app.NewWorkspaceAsync(Ct);
        var (client, token) = await app.NewMemberAsync(workspaceId, master, "read_write", Ct);
        // Two more rows for the client, so each revoke updates several documents in one commit.
        await app.Api.GrantAsync(master, workspaceId, client, "read", ct: Ct);
        await app.Api.GrantAsync(master, workspaceId, client, "read", ct: Ct);

        var revokes = Enumerable.Range(0, Racers).Select(_ =>
            app.Gateway.SendAsync(HttpMethod.Delete, $"/api/workspaces/{workspaceId}/tokens/{client}", master, Ct));
        var grants = Enumerable.Range(0, Racers).Select(_ => app.Gateway.SendJsonAsync(
            HttpMethod.Post, $"/api/workspaces/{workspaceId}/tokens", master, new { clientId = client, scope = "read" }, Ct));
        var responses = await Task.WhenAll(revokes.Concat(grants));

        try
        {
            foreach (var response in responses)
            {
                if (response.StatusCode is not (HttpStatusCode.NoContent or HttpStatusCode.Created))
                {
                    await Problems.AssertProblem(response, HttpStatusCode.Conflict, "conflict");
                }
            }

            Assert.Contains(responses.Take(Racers), r => r.StatusCode == HttpStatusCode.NoContent);
            Assert.All(responses.Skip(Racers), r => Assert.Equal(HttpStatusCode.Created, r.StatusCode));
            // The revocation reaches Sync through a message, a few milliseconds behind.
            var status = await Eventually.Until(async t =>
                {
                    using var r = await app.Gateway.SendAsync(HttpMethod.Get, $"/api/workspaces/{workspaceId}/changes?after=0", token, t);
                    return r.StatusCode;
                },
                s => s == HttpStatusCode.Unauthorized, TimeSpan.FromSeconds(5), Ct);
            Assert.Equal(HttpStatusCode.Unauthorized, status);
        }
        finally
        {
            foreach (var response in responses)
            {
                response.Dispose();
            }
        }
    }
}
