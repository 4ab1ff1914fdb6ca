using System.Net;
using System.Text.Json;
using SyncEngine.Client;
using SyncEngine.Contracts.Auth;
using SyncEngine.Testing;
using Xunit;

namespace Services.Auth.Tests.Integration;

/// <summary>Grants and their single-use invites (Auth's README, "Invites and the join link").</summary>
public sealed class InviteTests(AuthService auth)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task a_grant_answers_201_with_an_invite_valid_for_seven_days_and_publishes_access_granted()
    {
        var (workspaceId, owner, master) = await auth.NewWorkspaceAsync();
        var client = Guid.NewGuid();
        HttpResponseMessage? response = null;

        var session = await auth.TrackAsync(async () => response = await auth.Http.SendJsonAsync(
            HttpMethod.Post, $"/api/workspaces/{workspaceId}/tokens", master, new { clientId = client, scope = "read" }, Ct));
        var granted = DateTimeOffset.UtcNow;

        using (response)
        {
            Assert.Equal(HttpStatusCode.Created, response!.StatusCode);
            var grant = await response.Json();
            Assert.Equal(client, grant.GetProperty("clientId").GetGuid());
            Assert.Equal(JsonValueKind.Null, grant.GetProperty("expiresAt").ValueKind);
            Assert.InRange(grant.GetProperty("inviteExpiresAt").GetDateTimeOffset(), granted.AddDays(7).AddMinutes(-1), granted.AddDays(7).AddMinutes(1));
            var (queue, published) = Assert.Single(session.SentOf<AccessGranted>(m => m.WorkspaceId == workspaceId));
            Assert.Equal("workspace", queue);
            Assert.Equal((grant.GetProperty("tokenId").GetGuid(), client, "read", owner), (published.TokenId, published.ClientId, published.Scope, published.GrantedBy));
        }
    }

    [Fact]
    public async Task an_invite_lasts_no_longer_than_the_access_it_grants()
    {
        var (workspaceId, _, master) = await auth.NewWorkspaceAsync();

        var grant = await auth.Api.GrantAsync(master, workspaceId, Guid.NewGuid(), "read", expiresInSeconds: 3600, Ct);

        Assert.Equal(grant.ExpiresAt, grant.InviteExpiresAt);
    }

    [Fact]
    public async Task an_invited_client_joins_with_its_code_and_gets_a_token_of_the_grant()
    {
        var (workspaceId, _, master) = await auth.NewWorkspaceAsync();
        var client = Guid.NewGuid();

        var grant = await auth.Api.GrantAsync(master, workspaceId, client, "read_write", ct: Ct);
        var joined = await auth.Api.JoinAsync(workspaceId, client, grant.InviteCode, Ct);

        Assert.Equal(grant.TokenId, joined.TokenId);
        Assert.Equal("read_write", joined.Scope);
        Assert.Equal($"/join/{workspaceId}#{grant.InviteCode}", grant.JoinPath);
        Assert.Contains(await auth.Api.ListTokensAsync(master, workspaceId, Ct), t => t.TokenId == joined.TokenId && t.Status == "active");
    }

    [Fact]
    public async Task an_invite_cannot_be_redeemed_by_another_client_twice_or_after_it_expired()
    {
        var (workspaceId, _, master) = await auth.NewWorkspaceAsync();
        var client = Guid.NewGuid();
        var grant = await auth.Api.GrantAsync(master, workspaceId, client, "read", ct: Ct);

        var byStranger = await Assert.ThrowsAsync<SyncEngineApiException>(() => auth.Api.JoinAsync(workspaceId, Guid.NewGuid(), grant.InviteCode, Ct));
        var otherWorkspace = await Assert.ThrowsAsync<SyncEngineApiException>(() => auth.Api.JoinAsync(Guid.NewGuid(), client, grant.InviteCode, Ct));
        var guessed = await Assert.ThrowsAsync<SyncEngineApiException>(() => auth.Api.JoinAsync(workspaceId, client, "guessed-code", Ct));
        await auth.Api.JoinAsync(workspaceId, client, grant.InviteCode, Ct);
        var reused = await Assert.ThrowsAsync<SyncEngineApiException>(() => auth.Api.JoinAsync(workspaceId, client, grant.InviteCode, Ct));

        Assert.Equal((HttpStatusCode.NotFound, "invite-invalid"), (byStranger.Status, byStranger.Code));
        Assert.Equal((HttpStatusCode.NotFound, "invite-invalid"), (otherWorkspace.Status, otherWorkspace.Code));
        Assert.Equal((HttpStatusCode.NotFound, "invite-invalid"), (guessed.Status, guessed.Code));
        Assert.Equal((HttpStatusCode.Gone, "invite-invalid"), (reused.Status, reused.Code));

        var shortLived = await auth.Api.GrantAsync(master, workspaceId, Guid.NewGuid(), "read", expiresInSeconds: 1, Ct);
        await Eventually.Until(_ => Task.FromResult(DateTimeOffset.UtcNow), now => now > shortLived.InviteExpiresAt.AddMilliseconds(200), TimeSpan.FromSeconds(5), Ct);
        var expired = await Assert.ThrowsAsync<SyncEngineApiException>(() => auth.Api.JoinAsync(workspaceId, shortLived.ClientId, shortLived.InviteCode, Ct));
        Assert.Equal((HttpStatusCode.Gone, "invite-invalid"), (expired.Status, expired.Code));
    }

    [Fact]
    public async Task a_revoked_invite_is_gone()
    {
        var (workspaceId, _, master) = await auth.NewWorkspaceAsync();
        var client = Guid.NewGuid();
        var grant = await auth.Api.GrantAsync(master, workspaceId, client, "read", ct: Ct);

        await auth.Api.RevokeAsync(master, workspaceId, client, Ct);
        var revoked = await Assert.ThrowsAsync<SyncEngineApiException>(() => auth.Api.JoinAsync(workspaceId, client, grant.InviteCode, Ct));

        Assert.Equal((HttpStatusCode.Gone, "invite-invalid"), (revoked.Status, revoked.Code));
    }

    public static TheoryData<string> MalformedBodies =>
    [
        "{",
        "[]",
        "\"a string\"",
        "null",
        "{\"clientId\":42,\"scope\":\"read\",\"inviteCode\":\"x\"}",
        "{\"clientId\":\"not-a-uuid\",\"scope\":\"read\",\"inviteCode\":\"x\"}",
        "{\"clientId\":\"6f1c2f0e-8a6e-4c36-9f57-0b1f7b8d2a11\",\"scope\":[\"read\"],\"inviteCode\":{}}",
        "{\"clientId\":\"6f1c2f0e-8a6e-4c36-9f57-0b1f7b8d2a11\",\"scope\":\"read\",\"expiresInSeconds\":\"soon\",\"inviteCode\":7}",
    ];

    [Theory]
    [MemberData(nameof(MalformedBodies))]
    public async Task a_malformed_grant_or_join_body_is_an_invalid_request_and_stores_nothing(string json)
    {
        var (workspaceId, _, master) = await auth.NewWorkspaceAsync();

        using var grant = await auth.Http.SendRawJsonAsync(HttpMethod.Post, $"/api/workspaces/{workspaceId}/tokens", master, json, Ct);
        using var join = await auth.Http.SendRawJsonAsync(HttpMethod.Post, $"/api/workspaces/{workspaceId}/join", null, json, Ct);

        await Problems.AssertProblem(grant, HttpStatusCode.BadRequest, "invalid-request");
        await Problems.AssertProblem(join, HttpStatusCode.BadRequest, "invalid-request");
        Assert.Single(await auth.Api.ListTokensAsync(master, workspaceId, Ct));
    }

    [Fact]
    public async Task malformed_ids_and_fields_are_invalid_requests_and_store_nothing()
    {
        var (workspaceId, owner, master) = await auth.NewWorkspaceAsync();
        var path = $"/api/workspaces/{workspaceId}";

        HttpResponseMessage[] responses =
        [
            await auth.Http.SendAsync(HttpMethod.Get, "/api/workspaces/not-a-uuid/tokens", master, Ct),
            await auth.Http.SendAsync(HttpMethod.Delete, $"{path}/tokens/not-a-uuid", master, Ct),
            await auth.Http.SendJsonAsync(HttpMethod.Post, $"{path}/tokens", master, new { clientId = Guid.NewGuid(), scope = "admin" }, Ct),
            await auth.Http.SendJsonAsync(HttpMethod.Post, $"{path}/tokens", master, new { clientId = Guid.NewGuid(), scope = "read", expiresInSeconds = -5 }, Ct),
            await auth.Http.SendJsonAsync(HttpMethod.Post, $"{path}/tokens", master, new { clientId = Guid.Empty, scope = "read" }, Ct),
            await auth.Http.SendJsonAsync(HttpMethod.Post, $"{path}/tokens", master, new { clientId = owner, scope = "read" }, Ct),
            await auth.Http.SendJsonAsync(HttpMethod.Post, $"{path}/join", null, new { clientId = Guid.NewGuid() }, Ct),
            await auth.Http.SendJsonAsync(HttpMethod.Post, "/api/workspaces/zzz/join", null, new { clientId = Guid.NewGuid(), inviteCode = "x" }, Ct),
        ];

        foreach (var response in responses)
        {
            await Problems.AssertProblem(response, HttpStatusCode.BadRequest, "invalid-request");
            response.Dispose();
        }

        Assert.Single(await auth.Api.ListTokensAsync(master, workspaceId, Ct));
    }
}
