using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using SyncEngine.Client;
using SyncEngine.Testing;
using Xunit;

namespace SyncEngine.EndToEnd.Tests;

[Collection(SyncEngineCollection.Name)]
public sealed class AccessTests(SyncEngineApp app)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task<HttpResponseMessage> Send(HttpMethod method, string path, string? token, object? body = null)
    {
        using var request = new HttpRequestMessage(method, path);
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        if (body is not null)
        {
            request.Content = JsonContent.Create(body);
        }

        return await app.Gateway.SendAsync(request, Ct);
    }

    [Fact]
    public async Task an_invited_client_joins_with_its_code_and_its_token_works()
    {
        var (workspaceId, owner, master) = await app.NewWorkspaceAsync(Ct);
        var client = Guid.NewGuid();

        var grant = await app.Api.GrantAsync(master, workspaceId, client, "read_write", ct: Ct);
        var joined = await app.Api.JoinAsync(workspaceId, client, grant.InviteCode, Ct);

        Assert.Equal(grant.TokenId, joined.TokenId);
        Assert.Equal($"/join/{workspaceId}#{grant.InviteCode}", grant.JoinPath);
        var asMember = await app.Api.GetWorkspaceAsync(joined.Token, workspaceId, Ct);
        Assert.Equal(owner, asMember.GetProperty("ownerClientId").GetGuid());
        Assert.False(asMember.TryGetProperty("members", out _), "members are for the master only");
        var asOwner = await Eventually.Until(
            token => app.Api.GetWorkspaceAsync(master, workspaceId, token),
            w => w.GetProperty("members").GetArrayLength() > 0, TimeSpan.FromSeconds(10), Ct);
        Assert.Contains(asOwner.GetProperty("members").EnumerateArray(), m => m.GetProperty("clientId").GetGuid() == client);
    }

    [Fact]
    public async Task an_invite_cannot_be_redeemed_by_another_client_twice_or_after_it_expired()
    {
        var (workspaceId, _, master) = await app.NewWorkspaceAsync(Ct);
        var client = Guid.NewGuid();
        var grant = await app.Api.GrantAsync(master, workspaceId, client, "read", ct: Ct);

        var byStranger = await Assert.ThrowsAsync<SyncEngineApiException>(() => app.Api.JoinAsync(workspaceId, Guid.NewGuid(), grant.InviteCode, Ct));
        var otherWorkspace = await Assert.ThrowsAsync<SyncEngineApiException>(() => app.Api.JoinAsync(Guid.NewGuid(), client, grant.InviteCode, Ct));
        var guessed = await Assert.ThrowsAsync<SyncEngineApiException>(() => app.Api.JoinAsync(workspaceId, client, "guessed-code", Ct));
        await app.Api.JoinAsync(workspaceId, client, grant.InviteCode, Ct);
        var reused = await Assert.ThrowsAsync<SyncEngineApiException>(() => app.Api.JoinAsync(workspaceId, client, grant.InviteCode, Ct));

        Assert.Equal((HttpStatusCode.NotFound, "invite-invalid"), (byStranger.Status, byStranger.Code));
        Assert.Equal((HttpStatusCode.NotFound, "invite-invalid"), (otherWorkspace.Status, otherWorkspace.Code));
        Assert.Equal((HttpStatusCode.NotFound, "invite-invalid"), (guessed.Status, guessed.Code));
        Assert.Equal((HttpStatusCode.Gone, "invite-invalid"), (reused.Status, reused.Code));

        var shortLived = await app.Api.GrantAsync(master, workspaceId, Guid.NewGuid(), "read", expiresInSeconds: 1, Ct);
        await Eventually.Until(_ => Task.FromResult(DateTimeOffset.UtcNow), now => now > shortLived.InviteExpiresAt.AddMilliseconds(200), TimeSpan.FromSeconds(5), Ct);
        var expired = await Assert.ThrowsAsync<SyncEngineApiException>(() => app.Api.JoinAsync(workspaceId, shortLived.ClientId, shortLived.InviteCode, Ct));
        Assert.Equal((HttpStatusCode.Gone, "invite-invalid"), (expired.Status, expired.Code));
    }

    [Fact]
    public async Task only_the_master_may_grant_list_revoke_or_read_history()
    {
        var (workspaceId, _, master) = await app.NewWorkspaceAsync(Ct);
        var (reader, readToken) = await app.NewMemberAsync(workspaceId, master, "read", Ct);
        var (_, writeToken) = await app.NewMemberAsync(workspaceId, master, "read_write", Ct);

        foreach (var token in new[] { readToken, writeToken })
        {
            using var grant = await Send(HttpMethod.Post, $"/api/workspaces/{workspaceId}/tokens", token, new { clientId = Guid.NewGuid(), scope = "read" });
            using var list = await Send(HttpMethod.Get, $"/api/workspaces/{workspaceId}/tokens", token);
            using var revoke = await Send(HttpMethod.Delete, $"/api/workspaces/{workspaceId}/tokens/{reader}", token);
            using var history = await Send(HttpMethod.Get, $"/api/workspaces/{workspaceId}/history", token);
            using var info = await Send(HttpMethod.Get, $"/api/workspaces/{workspaceId}", token);

            await Problems.AssertProblem(grant, HttpStatusCode.Forbidden, "forbidden");
            await Problems.AssertProblem(list, HttpStatusCode.Forbidden, "forbidden");
            await Problems.AssertProblem(revoke, HttpStatusCode.Forbidden, "forbidden");
            await Problems.AssertProblem(history, HttpStatusCode.Forbidden, "forbidden");
            Assert.Equal(HttpStatusCode.OK, info.StatusCode);
        }

        var tokens = await app.Api.ListTokensAsync(master, workspaceId, Ct);
        Assert.Equal(3, tokens.Count);
        Assert.DoesNotContain(tokens, t => t.RevokedAt is not null);
    }

    [Fact]
    public async Task a_revoked_client_is_refused_within_a_second_and_can_be_granted_again()
    {
        var (workspaceId, _, master) = await app.NewWorkspaceAsync(Ct);
        var (client, token) = await app.NewMemberAsync(workspaceId, master, "read_write", Ct);
        using (var before = await Send(HttpMethod.Get, $"/api/workspaces/{workspaceId}", token))
        {
            Assert.Equal(HttpStatusCode.OK, before.StatusCode);
        }

        await app.Api.RevokeAsync(master, workspaceId, client, Ct);
        var revokedAt = DateTimeOffset.UtcNow;

        var status = await Eventually.Until(
            async _ => { using var r = await Send(HttpMethod.Get, $"/api/workspaces/{workspaceId}", token); return r.StatusCode; },
            s => s == HttpStatusCode.Unauthorized, TimeSpan.FromSeconds(1), Ct);
        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Assert.True(DateTimeOffset.UtcNow - revokedAt < TimeSpan.FromSeconds(2), "refusal took longer than the 1 s budget plus one request");

        var again = await app.Api.GrantAsync(master, workspaceId, client, "read", ct: Ct);
        var rejoined = await app.Api.JoinAsync(workspaceId, client, again.InviteCode, Ct);
        using var after = await Send(HttpMethod.Get, $"/api/workspaces/{workspaceId}", rejoined.Token);
        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
        using var old = await Send(HttpMethod.Get, $"/api/workspaces/{workspaceId}", token);
        await Problems.AssertProblem(old, HttpStatusCode.Unauthorized, "unauthorized");

        var tokens = await app.Api.ListTokensAsync(master, workspaceId, Ct);
        Assert.Contains(tokens, t => t.ClientId == client && t.Status == "revoked");
        Assert.Contains(tokens, t => t.ClientId == client && t.Status == "active");
        // Workspace records grants and revocations from Auth's messages, a few milliseconds behind.
        string?[] expected = ["created", "granted", "revoked", "granted"];
        var types = await Eventually.Until(
            async token => (await app.Api.GetHistoryAsync(master, workspaceId, token)).EnumerateArray().Select(e => e.GetProperty("type").GetString()).ToList(),
            t => t.SequenceEqual(expected), TimeSpan.FromSeconds(10), Ct);
        Assert.Equal(expected, types);
    }

    [Fact]
    public async Task the_token_list_never_contains_a_token_or_an_invite_code()
    {
        var (workspaceId, _, master) = await app.NewWorkspaceAsync(Ct);
        var grant = await app.Api.GrantAsync(master, workspaceId, Guid.NewGuid(), "read", ct: Ct);

        using var response = await Send(HttpMethod.Get, $"/api/workspaces/{workspaceId}/tokens", master);
        var body = await response.Content.ReadAsStringAsync(Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.DoesNotContain(master, body);
        Assert.DoesNotContain(grant.InviteCode, body);
        Assert.DoesNotContain("eyJ", body);
        Assert.Equal(2, JsonDocument.Parse(body).RootElement.GetArrayLength());
    }

    [Fact]
    public async Task revoking_the_owner_never_ends_the_calling_master_token()
    {
        var (workspaceId, owner, master) = await app.NewWorkspaceAsync(Ct);

        // The owner's own id ends its other master tokens (MasterTokenTests); here there is none, so nothing changes.
        using var response = await Send(HttpMethod.Delete, $"/api/workspaces/{workspaceId}/tokens/{owner}", master);

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        using var still = await Send(HttpMethod.Get, $"/api/workspaces/{workspaceId}", master);
        Assert.Equal(HttpStatusCode.OK, still.StatusCode);
        Assert.Equal("active", Assert.Single(await app.Api.ListTokensAsync(master, workspaceId, Ct)).Status);
        Assert.DoesNotContain((await app.Api.GetHistoryAsync(master, workspaceId, Ct)).EnumerateArray(),
            e => e.GetProperty("type").GetString() == "masters-revoked");
    }

    [Fact]
    public async Task revoking_a_client_that_never_had_access_is_not_found_and_records_nothing()
    {
        var (workspaceId, _, master) = await app.NewWorkspaceAsync(Ct);

        using var response = await Send(HttpMethod.Delete, $"/api/workspaces/{workspaceId}/tokens/{Guid.NewGuid()}", master);

        await Problems.AssertProblem(response, HttpStatusCode.NotFound, "not-found");
        var history = await app.Api.GetHistoryAsync(master, workspaceId, Ct);
        Assert.DoesNotContain(history.EnumerateArray(), e => e.GetProperty("type").GetString() == "revoked");
    }

    [Fact]
    public async Task hostile_tokens_are_refused_and_change_nothing()
    {
        var (workspaceId, owner, master) = await app.NewWorkspaceAsync(Ct);
        var otherMaster = (await app.NewWorkspaceAsync(Ct)).Master;
        var claims = ForgedTokens.Claims(workspaceId, owner);
        var realKid = Jwt.KeyId(master);
        var publicX = await ForgedTokens.PublicKeyBytesAsync(app.Gateway, realKid, Ct);
        var (_, expiringToken) = await app.NewMemberAsync(workspaceId, master, "read_write", Ct, expiresInSeconds: 1);

        (string? Token, string Why)[] unauthorized =
        [
            (null, "missing"),
            ("garbage", "garbage"),
            ("eyJhbGciOiJFUzI1NiJ9.e30.AAAA", "well-formed but meaningless"),
            (ForgedTokens.AlgNone(claims, realKid), "alg none"),
            (ForgedTokens.Hs256(claims, publicX, realKid), "HS256 keyed with the public key"),
            (ForgedTokens.Es256WithForeignKey(claims, realKid), "signed by another key"),
            (master[..^4] + (master[^4] == 'A' ? "BAAA" : "AAAA"), "tampered signature"),
        ];
        foreach (var (token, why) in unauthorized)
        {
            using var grant = await Send(HttpMethod.Post, $"/api/workspaces/{workspaceId}/tokens", token, new { clientId = Guid.NewGuid(), scope = "read" });
            using var info = await Send(HttpMethod.Get, $"/api/workspaces/{workspaceId}", token);
            Assert.True(grant.StatusCode == HttpStatusCode.Unauthorized, $"{why}: grant answered {grant.StatusCode}");
            await Problems.AssertProblem(grant, HttpStatusCode.Unauthorized, "unauthorized");
            await Problems.AssertProblem(info, HttpStatusCode.Unauthorized, "unauthorized");
        }

        await Eventually.Until(async _ => { using var r = await Send(HttpMethod.Get, $"/api/workspaces/{workspaceId}", expiringToken); return r.StatusCode; },
            s => s == HttpStatusCode.Unauthorized, TimeSpan.FromSeconds(15), Ct);
        using (var expired = await Send(HttpMethod.Get, $"/api/workspaces/{workspaceId}", expiringToken))
        {
            var problem = await Problems.AssertProblem(expired, HttpStatusCode.Unauthorized, "unauthorized");
            Assert.Contains("expired", problem.GetProperty("detail").GetString());
        }

        using (var foreign = await Send(HttpMethod.Post, $"/api/workspaces/{workspaceId}/tokens", otherMaster, new { clientId = Guid.NewGuid(), scope = "read" }))
        {
            await Problems.AssertProblem(foreign, HttpStatusCode.Forbidden, "forbidden");
        }

        using (var foreignRead = await Send(HttpMethod.Get, $"/api/workspaces/{workspaceId}", otherMaster))
        {
            await Problems.AssertProblem(foreignRead, HttpStatusCode.Forbidden, "forbidden");
        }

        var tokens = await app.Api.ListTokensAsync(master, workspaceId, Ct);
        Assert.Equal(2, tokens.Count); // the master and the one real grant: no forged grant was stored
    }

    [Fact]
    public async Task malformed_ids_and_bodies_are_invalid_requests()
    {
        var (workspaceId, _, master) = await app.NewWorkspaceAsync(Ct);

        using var badWorkspace = await Send(HttpMethod.Get, "/api/workspaces/not-a-uuid", master);
        using var badHistory = await Send(HttpMethod.Get, "/api/workspaces/123/history", master);
        using var badClient = await Send(HttpMethod.Delete, $"/api/workspaces/{workspaceId}/tokens/not-a-uuid", master);
        using var badScope = await Send(HttpMethod.Post, $"/api/workspaces/{workspaceId}/tokens", master, new { clientId = Guid.NewGuid(), scope = "admin" });
        using var badExpiry = await Send(HttpMethod.Post, $"/api/workspaces/{workspaceId}/tokens", master, new { clientId = Guid.NewGuid(), scope = "read", expiresInSeconds = -5 });
        using var emptyClient = await Send(HttpMethod.Post, $"/api/workspaces/{workspaceId}/tokens", master, new { clientId = Guid.Empty, scope = "read" });
        using var badJoin = await Send(HttpMethod.Post, $"/api/workspaces/{workspaceId}/join", null, new { clientId = Guid.NewGuid() });
        using var badJoinWorkspace = await Send(HttpMethod.Post, "/api/workspaces/zzz/join", null, new { clientId = Guid.NewGuid(), inviteCode = "x" });

        foreach (var response in new[] { badWorkspace, badHistory, badClient, badScope, badExpiry, emptyClient, badJoin, badJoinWorkspace })
        {
            await Problems.AssertProblem(response, HttpStatusCode.BadRequest, "invalid-request");
        }

        Assert.Single(await app.Api.ListTokensAsync(master, workspaceId, Ct));
    }

    [Fact]
    public async Task auth_publishes_its_keys_and_issuer_metadata()
    {
        var discovery = await (await app.Gateway.GetAsync("/.well-known/openid-configuration", Ct)).Json();
        var jwks = await (await app.Gateway.GetAsync("/.well-known/jwks.json", Ct)).Json();

        Assert.Equal("syncengine", discovery.GetProperty("issuer").GetString());
        Assert.EndsWith("/.well-known/jwks.json", discovery.GetProperty("jwks_uri").GetString());
        var key = jwks.GetProperty("keys")[0];
        Assert.Equal(("EC", "P-256", "ES256"), (key.GetProperty("kty").GetString(), key.GetProperty("crv").GetString(), key.GetProperty("alg").GetString()));
        Assert.False(key.TryGetProperty("d", out _), "the private part of a key is published");
    }
}
