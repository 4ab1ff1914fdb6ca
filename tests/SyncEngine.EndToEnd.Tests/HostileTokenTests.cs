using System.Net;
using SyncEngine.Client;
using SyncEngine.Testing;
using Xunit;

namespace SyncEngine.EndToEnd.Tests;

/// <summary>Every Sync route refuses tokens that are not a valid token of its workspace, and nothing stored changes.</summary>
[Collection(SyncEngineCollection.Name)]
public sealed class HostileTokenTests(SyncEngineApp app)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static TheoryData<string> Unauthorized =>
        ["missing", "garbage", "alg none", "HS256 keyed with the public key", "signed by another key", "expired", "tampered payload"];

    [Theory]
    [MemberData(nameof(Unauthorized))]
    public async Task every_sync_route_answers_401_to_a_hostile_token_and_stores_nothing(string kind)
    {
        var (workspaceId, owner, master) = await app.NewWorkspaceAsync(Ct);
        await app.Api.PushAsync(master, workspaceId, [1, 2, 3], Guid.NewGuid(), 1, Ct);
        var claims = ForgedTokens.Claims(workspaceId, owner);
        var token = kind switch
        {
            "missing" => null,
            "garbage" => "garbage",
            "alg none" => ForgedTokens.AlgNone(claims, Jwt.KeyId(master)),
            "HS256 keyed with the public key" => ForgedTokens.Hs256(claims, await ForgedTokens.PublicKeyBytesAsync(app.Gateway, Jwt.KeyId(master), Ct), Jwt.KeyId(master)),
            "signed by another key" => ForgedTokens.Es256WithForeignKey(claims, Jwt.KeyId(master)),
            "expired" => await ExpiredTokenAsync(workspaceId, master),
            // A read-only member's real token, promoted to writer and master: its signature no longer matches.
            "tampered payload" => ForgedTokens.WithClaims((await app.NewMemberAsync(workspaceId, master, "read", Ct)).Token, c =>
            {
                c["scope"] = "read_write";
                c["master"] = true;
            }),
            _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
        };

        foreach (var (route, send) in SyncRoutes(workspaceId))
        {
            using var response = await send(token);
            var problem = await Problems.AssertProblem(response, HttpStatusCode.Unauthorized, "unauthorized");
            Assert.False(string.IsNullOrEmpty(problem.GetProperty("detail").GetString()), $"{kind} on {route}: no detail");
        }

        await AssertUnchangedAsync(workspaceId, master);
    }

    [Fact]
    public async Task every_sync_route_answers_403_to_a_valid_token_of_another_workspace()
    {
        var (workspaceId, _, master) = await app.NewWorkspaceAsync(Ct);
        await app.Api.PushAsync(master, workspaceId, [1, 2, 3], Guid.NewGuid(), 1, Ct);
        var otherMaster = (await app.NewWorkspaceAsync(Ct)).Master;

        foreach (var (_, send) in SyncRoutes(workspaceId))
        {
            using var response = await send(otherMaster);
            await Problems.AssertProblem(response, HttpStatusCode.Forbidden, "forbidden");
        }

        await AssertUnchangedAsync(workspaceId, master);
    }

    [Theory]
    [InlineData("not-a-uuid")]
    [InlineData("123")]
    [InlineData("00000000-0000-0000-0000-00000000000g")]
    public async Task a_malformed_workspace_id_on_a_sync_route_is_an_invalid_request(string id)
    {
        var (_, _, master) = await app.NewWorkspaceAsync(Ct);

        foreach (var token in new[] { master, null })
        {
            foreach (var (_, send) in SyncRoutes(id))
            {
                using var response = await send(token);
                await Problems.AssertProblem(response, HttpStatusCode.BadRequest, "invalid-request");
            }
        }
    }

    private IEnumerable<(string Route, Func<string?, Task<HttpResponseMessage>> Send)> SyncRoutes(object workspaceId)
    {
        var path = $"/api/workspaces/{workspaceId}";
        yield return ("push", token => app.Gateway.SendAsync(HttpMethod.Post, $"{path}/changes", token, Ct, new ByteArrayContent([9, 9, 9]),
            ("Idempotency-Key", Guid.NewGuid().ToString()), ("Sync-Schema-Version", "1")));
        yield return ("pull", token => app.Gateway.SendAsync(HttpMethod.Get, $"{path}/changes?after=0", token, Ct));
        yield return ("snapshot", token => app.Gateway.SendAsync(HttpMethod.Post, $"{path}/snapshots", token, Ct, new ByteArrayContent([8, 8]),
            ("Sync-Covers", "1")));
        yield return ("events", token => app.Gateway.SendAsync(HttpMethod.Get, $"{path}/events", token, Ct, null, ("Accept", "text/event-stream")));
    }

    /// <summary>A writer's real token whose one-second life (plus the validators' 5 s clock skew) has passed.</summary>
    private async Task<string> ExpiredTokenAsync(Guid workspaceId, string master)
    {
        var (_, token) = await app.NewMemberAsync(workspaceId, master, "read_write", Ct, expiresInSeconds: 1);
        var status = await Eventually.Until(async t =>
            {
                using var r = await app.Gateway.SendAsync(HttpMethod.Get, $"/api/workspaces/{workspaceId}/changes?after=0", token, t);
                return r.StatusCode;
            },
            s => s == HttpStatusCode.Unauthorized, TimeSpan.FromSeconds(15), Ct);
        Assert.Equal(HttpStatusCode.Unauthorized, status);
        return token;
    }

    /// <summary>The master still sees exactly the one change it pushed: no change, no snapshot.</summary>
    private async Task AssertUnchangedAsync(Guid workspaceId, string master)
    {
        PullResult pulled = await app.Api.PullAsync(master, workspaceId, 0, Ct);
        Assert.Equal(1, pulled.Head);
        var frame = Assert.Single(pulled.Frames);
        Assert.Equal([1, 2, 3], frame.Data);
        Assert.False(frame.IsSnapshot);
    }
}
