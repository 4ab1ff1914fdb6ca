using System.Net;
using System.Security.Cryptography;
using Microsoft.IdentityModel.Tokens;
using Npgsql;
using SyncEngine.Client;
using SyncEngine.Testing;
using Xunit;

namespace SyncEngine.EndToEnd.Tests;

/// <summary>
/// An <c>app-token</c> app: a claim carries a JWT of the app's own identity provider (a <see cref="TestIssuer"/> the
/// test runs), checked by Workspace through the issuer's discovery document and keys; its <c>sub</c> becomes the
/// workspace's owner subject. Every forged or foreign token is 401 and stores nothing.
/// </summary>
[Collection(SyncEngineCollection.Name)]
public sealed class AppTokenClaimTests(SyncEngineApp app)
{
    private const string Audience = "tasks-api";
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task<string> RegisterAsync(TestIssuer issuer)
    {
        var appId = $"tok-{Guid.NewGuid():N}"[..16];
        await app.Api.RegisterAppAsync(await app.OperatorTokenAsync(Ct),
            new AppSettings(appId, "Own sign-in", ClaimPolicy: "app-token", Issuer: issuer.Issuer, Audience: Audience), Ct);
        // Known to Workspace's directory within a second.
        await Eventually.Until(async t => (await ClaimAsync(appId, Guid.NewGuid(), null, t)).StatusCode,
            s => s == HttpStatusCode.Unauthorized, TimeSpan.FromSeconds(10), Ct);
        return appId;
    }

    private async Task<HttpResponseMessage> ClaimAsync(string appId, Guid workspaceId, string? appToken, CancellationToken ct) =>
        await app.Gateway.SendAsync(HttpMethod.Post, "/api/workspaces", appToken, ct,
            System.Net.Http.Json.JsonContent.Create(new { workspaceId, clientId = Guid.NewGuid(), appId }), ("Idempotency-Key", Guid.NewGuid().ToString()));

    [Fact]
    public async Task a_claim_with_the_apps_own_token_records_its_subject_and_forged_or_foreign_tokens_are_401_storing_nothing()
    {
        await using var issuer = TestIssuer.Start();
        await using var stranger = TestIssuer.Start();
        var appId = await RegisterAsync(issuer);
        var workspaceId = Guid.NewGuid();

        var hostile = new (string Why, string? Token)[]
        {
            ("no token", null),
            ("not a JWT", "not-a-jwt"),
            ("alg none", issuer.Unsigned(Audience)),
            ("HS256 with a made-up secret", issuer.Issue(Audience, key: new SymmetricSecurityKey(RandomNumberGenerator.GetBytes(32)) { KeyId = "hs" },
                algorithm: SecurityAlgorithms.HmacSha256)),
            ("a key the issuer never published", issuer.Issue(Audience, key: TestIssuer.NewKey())),
            ("another issuer's token", stranger.Issue(Audience, issuer: stranger.Issuer)),
            ("another issuer's name on this issuer's key", issuer.Issue(Audience, issuer: stranger.Issuer)),
            ("wrong audience", issuer.Issue("another-api")),
            ("expired", issuer.Issue(Audience, lifetime: TimeSpan.FromMinutes(-5))),
            ("no sub", issuer.Issue(Audience, subject: null)),
        };
        foreach (var (why, token) in hostile)
        {
            using var refused = await ClaimAsync(appId, workspaceId, token, Ct);
            Assert.True(refused.StatusCode == HttpStatusCode.Unauthorized, $"{why}: {(int)refused.StatusCode} {await refused.Content.ReadAsStringAsync(Ct)}");
            await Problems.AssertProblem(refused, HttpStatusCode.Unauthorized, "unauthorized");
        }

        // Nothing was stored for the id: the real claim of it is the first.
        using var claimed = await ClaimAsync(appId, workspaceId, issuer.Issue(Audience, subject: "alice@tasks"), Ct);
        Assert.True(claimed.StatusCode == HttpStatusCode.Created, await claimed.Content.ReadAsStringAsync(Ct));
        var master = (await Problems.Json(claimed)).GetProperty("token").GetString()!;
        Assert.Equal(appId, Jwt.Payload(master).GetProperty("app").GetString());
        await using var db = await app.OpenDatabaseAsync(Ct);
        await using var read = new NpgsqlCommand("select data->>'OwnerSubject' from workspace.mt_doc_workspace where id = $1", db);
        read.Parameters.AddWithValue(workspaceId);
        Assert.Equal("alice@tasks", await read.ExecuteScalarAsync(Ct));
    }

    [Fact]
    public async Task a_key_the_issuer_rotates_in_is_fetched_when_a_token_names_it()
    {
        await using var issuer = TestIssuer.Start();
        var appId = await RegisterAsync(issuer);
        using (var first = await ClaimAsync(appId, Guid.NewGuid(), issuer.Issue(Audience), Ct))
        {
            Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        }

        var fetches = issuer.JwksFetches;
        issuer.RotateKey();

        using var rotated = await ClaimAsync(appId, Guid.NewGuid(), issuer.Issue(Audience), Ct);
        Assert.True(rotated.StatusCode == HttpStatusCode.Created, await rotated.Content.ReadAsStringAsync(Ct));
        Assert.True(issuer.JwksFetches > fetches, "the new key was not fetched");
    }
}
