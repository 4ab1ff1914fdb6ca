using System.Text.Json;
using SyncEngine.Testing;
using Xunit;

namespace SyncEngine.EndToEnd.Tests;

/// <summary>The tokens Auth hands out carry DESIGN's header and claims, and name a key the JWKS publishes.</summary>
[Collection(SyncEngineCollection.Name)]
public sealed class TokenClaimsTests(SyncEngineApp app)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task master_and_member_tokens_are_es256_with_a_published_kid_and_designs_claims()
    {
        var workspaceId = Guid.NewGuid();
        var owner = Guid.NewGuid();
        var claimed = await app.Api.ClaimAsync(workspaceId, owner, Guid.NewGuid().ToString(), Ct);
        var reader = Guid.NewGuid();
        var readGrant = await app.Api.GrantAsync(claimed.Token, workspaceId, reader, "read", ct: Ct);
        var readJoined = await app.Api.JoinAsync(workspaceId, reader, readGrant.InviteCode, Ct);
        var writer = Guid.NewGuid();
        var writeGrant = await app.Api.GrantAsync(claimed.Token, workspaceId, writer, "read_write", expiresInSeconds: 3600, Ct);
        var writeJoined = await app.Api.JoinAsync(workspaceId, writer, writeGrant.InviteCode, Ct);
        using var jwksResponse = await app.Gateway.GetAsync("/.well-known/jwks.json", Ct);
        var published = (await jwksResponse.Json()).GetProperty("keys").EnumerateArray().Select(k => k.GetProperty("kid").GetString()).ToList();
        var tokens = await app.Api.ListTokensAsync(claimed.Token, workspaceId, Ct);

        Assert.NotEmpty(published);
        Assert.All(published, kid => Assert.False(string.IsNullOrEmpty(kid), "a published key without a kid"));
        foreach (var token in new[] { claimed.Token, readJoined.Token, writeJoined.Token })
        {
            var header = Jwt.Header(token);
            Assert.Equal("ES256", header.GetProperty("alg").GetString());
            Assert.Contains(header.GetProperty("kid").GetString(), published);
        }

        var master = Jwt.Payload(claimed.Token);
        AssertClaims(master, owner, workspaceId, "read_write", isMaster: true, tokens.Single(t => t.IsMaster).TokenId);
        Assert.False(master.TryGetProperty("exp", out _), "a master token expires");

        var read = Jwt.Payload(readJoined.Token);
        AssertClaims(read, reader, workspaceId, "read", isMaster: false, readJoined.TokenId);
        Assert.False(read.TryGetProperty("exp", out _), "a grant without expiry gave a token that expires");

        var write = Jwt.Payload(writeJoined.Token);
        AssertClaims(write, writer, workspaceId, "read_write", isMaster: false, writeJoined.TokenId);
        Assert.Equal(writeGrant.ExpiresAt!.Value.ToUnixTimeSeconds(), write.GetProperty("exp").GetInt64());
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
