using System.Net;
using System.Text.Json;
using SyncEngine.Testing;
using Xunit;

namespace Services.Auth.Tests.Integration;

/// <summary>The tokens Auth issues, the keys it publishes, and the tokens it refuses.</summary>
public sealed class TokenTests(AuthService auth)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task master_and_member_tokens_are_es256_with_a_published_kid_and_designs_claims()
    {
        var (workspaceId, owner) = (Guid.NewGuid(), Guid.NewGuid());
        var issued = await auth.IssueMasterTokenAsync(workspaceId, owner);
        var reader = Guid.NewGuid();
        var readGrant = await auth.Api.GrantAsync(issued.Token, workspaceId, reader, "read", ct: Ct);
        var readJoined = await auth.Api.JoinAsync(workspaceId, reader, readGrant.InviteCode, Ct);
        var writer = Guid.NewGuid();
        var writeGrant = await auth.Api.GrantAsync(issued.Token, workspaceId, writer, "read_write", expiresInSeconds: 3600, Ct);
        var writeJoined = await auth.Api.JoinAsync(workspaceId, writer, writeGrant.InviteCode, Ct);
        using var jwksResponse = await auth.Http.GetAsync("/.well-known/jwks.json", Ct);
        var published = (await jwksResponse.Json()).GetProperty("keys").EnumerateArray().Select(k => k.GetProperty("kid").GetString()).ToList();

        Assert.NotEmpty(published);
        Assert.All(published, kid => Assert.False(string.IsNullOrEmpty(kid), "a published key without a kid"));
        foreach (var token in new[] { issued.Token, readJoined.Token, writeJoined.Token })
        {
            var header = Jwt.Header(token);
            Assert.Equal("ES256", header.GetProperty("alg").GetString());
            Assert.Contains(header.GetProperty("kid").GetString(), published);
        }

        var master = Jwt.Payload(issued.Token);
        AssertClaims(master, owner, workspaceId, "read_write", isMaster: true, issued.TokenId);
        Assert.Equal(issued.IssuedAt.ToUnixTimeSeconds(), master.GetProperty("iat").GetInt64());
        Assert.False(master.TryGetProperty("exp", out _), "a master token expires");

        var read = Jwt.Payload(readJoined.Token);
        AssertClaims(read, reader, workspaceId, "read", isMaster: false, readJoined.TokenId);
        Assert.False(read.TryGetProperty("exp", out _), "a grant without expiry gave a token that expires");

        var write = Jwt.Payload(writeJoined.Token);
        AssertClaims(write, writer, workspaceId, "read_write", isMaster: false, writeJoined.TokenId);
        Assert.Equal(writeGrant.ExpiresAt!.Value.ToUnixTimeSeconds(), write.GetProperty("exp").GetInt64());
    }

    [Fact]
    public async Task auth_publishes_its_keys_and_issuer_metadata_on_the_public_origin_whatever_the_request_host()
    {
        using var discoveryResponse = await auth.Http.SendAsync(HttpMethod.Get, "/.well-known/openid-configuration", null, Ct,
            null, ("X-Forwarded-Host", "evil.example"));
        var discovery = await discoveryResponse.Json();
        var jwks = await (await auth.Http.GetAsync("/.well-known/jwks.json", Ct)).Json();

        Assert.Equal("syncengine", discovery.GetProperty("issuer").GetString());
        Assert.EndsWith("/.well-known/jwks.json", discovery.GetProperty("jwks_uri").GetString());
        Assert.DoesNotContain("evil.example", discovery.GetProperty("jwks_uri").GetString());
        var key = jwks.GetProperty("keys")[0];
        Assert.Equal(("EC", "P-256", "ES256"), (key.GetProperty("kty").GetString(), key.GetProperty("crv").GetString(), key.GetProperty("alg").GetString()));
        Assert.False(key.TryGetProperty("d", out _), "the private part of a key is published");
    }

    [Fact]
    public async Task hostile_tokens_are_refused_on_every_auth_route_and_change_nothing()
    {
        var (workspaceId, owner, master) = await auth.NewWorkspaceAsync();
        var otherMaster = (await auth.NewWorkspaceAsync()).Master;
        var claims = ForgedTokens.Claims(workspaceId, owner);
        var realKid = Jwt.KeyId(master);
        var publicX = await ForgedTokens.PublicKeyBytesAsync(auth.Http, realKid, Ct);
        var (_, expiring) = await auth.NewMemberAsync(workspaceId, master, "read_write", expiresInSeconds: 1);

        (string? Token, string Why)[] unauthorized =
        [
            (null, "missing"),
            ("garbage", "garbage"),
            ("eyJhbGciOiJFUzI1NiJ9.e30.AAAA", "well-formed but meaningless"),
            (ForgedTokens.AlgNone(claims, realKid), "alg none"),
            (ForgedTokens.Hs256(claims, publicX, realKid), "HS256 keyed with the public key"),
            (ForgedTokens.Es256WithForeignKey(claims, realKid), "signed by another key"),
            (master[..^4] + (master[^4] == 'A' ? "BAAA" : "AAAA"), "tampered signature"),
            (new TestSigner().Issue(workspaceId, owner, master: true), "signed by a key Auth never published"),
        ];
        foreach (var (token, why) in unauthorized)
        {
            foreach (var (route, send) in Routes(workspaceId, owner))
            {
                using var response = await send(token);
                Assert.True(response.StatusCode == HttpStatusCode.Unauthorized, $"{why} on {route}: answered {response.StatusCode}");
                await Problems.AssertProblem(response, HttpStatusCode.Unauthorized, "unauthorized");
            }
        }

        // A token of another workspace is valid, but not here.
        foreach (var (route, send) in Routes(workspaceId, owner))
        {
            using var response = await send(otherMaster);
            await Problems.AssertProblem(response, HttpStatusCode.Forbidden, "forbidden");
        }

        // Past its one second and the validators' 5 s clock skew.
        await Eventually.Until(async t => await auth.Http.StatusAsync($"/api/workspaces/{workspaceId}/tokens", expiring.Token, t),
            s => s == HttpStatusCode.Unauthorized, TimeSpan.FromSeconds(15), Ct);
        using (var expired = await auth.Http.SendAsync(HttpMethod.Get, $"/api/workspaces/{workspaceId}/tokens", expiring.Token, Ct))
        {
            var problem = await Problems.AssertProblem(expired, HttpStatusCode.Unauthorized, "unauthorized");
            Assert.Contains("expired", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        }

        var tokens = await auth.Api.ListTokensAsync(master, workspaceId, Ct);
        Assert.Equal(2, tokens.Count); // the master and the one real grant: no forged grant or revocation was stored
        Assert.All(tokens, t => Assert.Null(t.RevokedAt));
    }

    private IEnumerable<(string Route, Func<string?, Task<HttpResponseMessage>> Send)> Routes(Guid workspaceId, Guid owner)
    {
        var path = $"/api/workspaces/{workspaceId}/tokens";
        yield return ("grant", token => auth.Http.SendJsonAsync(HttpMethod.Post, path, token, new { clientId = Guid.NewGuid(), scope = "read" }, Ct));
        yield return ("list", token => auth.Http.SendAsync(HttpMethod.Get, path, token, Ct));
        yield return ("revoke", token => auth.Http.SendAsync(HttpMethod.Delete, $"{path}/{owner}", token, Ct));
    }

    private static void AssertClaims(JsonElement claims, Guid client, Guid workspaceId, string scope, bool isMaster, Guid tokenId)
    {
        Assert.Equal(client.ToString(), claims.GetProperty("sub").GetString());
        Assert.Equal(workspaceId.ToString(), claims.GetProperty("wid").GetString());
        Assert.Equal(scope, claims.GetProperty("scope").GetString());
        Assert.Equal(isMaster ? JsonValueKind.True : JsonValueKind.False, claims.GetProperty("master").ValueKind);
        Assert.Equal(tokenId.ToString(), claims.GetProperty("jti").GetString());
        Assert.Equal("syncengine", claims.GetProperty("iss").GetString());
        Assert.Equal("syncengine-api", claims.GetProperty("aud").GetString());
        var issuedAt = DateTimeOffset.FromUnixTimeSeconds(claims.GetProperty("iat").GetInt64());
        Assert.InRange(issuedAt, DateTimeOffset.UtcNow.AddMinutes(-2), DateTimeOffset.UtcNow.AddSeconds(5));
    }
}
