using System.Net;
using SyncEngine.Client;
using SyncEngine.Testing;
using Xunit;

namespace Services.Sync.Tests.Integration;

/// <summary>Every Sync route refuses what is not a valid request by a valid token of its workspace, and nothing stored changes.</summary>
public sealed class HostileRequestTests(SyncService sync)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static TheoryData<string> Unauthorized =>
        ["missing", "garbage", "alg none", "HS256 keyed with the public key", "signed by another key", "expired", "tampered payload",
         "another issuer's"];

    [Theory]
    [MemberData(nameof(Unauthorized))]
    public async Task every_sync_route_answers_401_to_a_hostile_token_and_stores_nothing(string kind)
    {
        var (workspaceId, owner, master) = await sync.NewWorkspaceAsync();
        await sync.Api.PushAsync(master, workspaceId, [1, 2, 3], Guid.NewGuid(), 1, Ct);
        var claims = ForgedTokens.Claims(workspaceId, owner);
        var kid = Jwt.KeyId(master);
        var token = kind switch
        {
            "missing" => null,
            "garbage" => "garbage",
            "alg none" => ForgedTokens.AlgNone(claims, kid),
            "HS256 keyed with the public key" => ForgedTokens.Hs256(claims, ForgedTokens.PublicKeyBytes(sync.Signer.Jwks(), kid), kid),
            "signed by another key" => ForgedTokens.Es256WithForeignKey(claims, kid),
            // Past the validators' 5 s clock skew.
            "expired" => sync.Signer.Issue(workspaceId, owner, "read_write", issuedAt: DateTimeOffset.UtcNow.AddMinutes(-2),
                expires: DateTimeOffset.UtcNow.AddMinutes(-1)),
            // A read-only member's real token, promoted to writer and master: its signature no longer matches.
            "tampered payload" => ForgedTokens.WithClaims(sync.NewMember(workspaceId, "read").Token, c =>
            {
                c["scope"] = "read_write";
                c["master"] = true;
            }),
            "another issuer's" => new TestSigner().Issue(workspaceId, owner, "read_write", master: true),
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
        var (workspaceId, _, master) = await sync.NewWorkspaceAsync();
        await sync.Api.PushAsync(master, workspaceId, [1, 2, 3], Guid.NewGuid(), 1, Ct);
        var otherMaster = (await sync.NewWorkspaceAsync()).Master;

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
        var (_, _, master) = await sync.NewWorkspaceAsync();

        foreach (var token in new[] { master, null })
        {
            foreach (var (_, send) in SyncRoutes(id))
            {
                using var response = await send(token);
                await Problems.AssertProblem(response, HttpStatusCode.BadRequest, "invalid-request");
            }
        }
    }

    [Theory]
    [InlineData("after=-1")]
    [InlineData("after=x")]
    [InlineData("after=99999999999999999999")]
    public async Task a_malformed_pull_cursor_is_an_invalid_request(string query)
    {
        var (workspaceId, _, master) = await sync.NewWorkspaceAsync();

        using var response = await sync.Http.SendAsync(HttpMethod.Get, $"/api/workspaces/{workspaceId}/changes?{query}", master, Ct);

        await Problems.AssertProblem(response, HttpStatusCode.BadRequest, "invalid-request");
    }

    [Theory]
    [InlineData(null)]
    [InlineData("x")]
    [InlineData("-1")]
    [InlineData("0")]
    public async Task a_snapshot_without_a_valid_covered_seq_is_an_invalid_request_and_is_not_stored(string? covers)
    {
        var (workspaceId, _, master) = await sync.NewWorkspaceAsync();
        await sync.Api.PushAsync(master, workspaceId, [1, 2, 3], Guid.NewGuid(), 1, Ct);

        using var response = await sync.Http.SendAsync(HttpMethod.Post, $"/api/workspaces/{workspaceId}/snapshots", master, Ct,
            new ByteArrayContent([8, 8]), covers is null ? [] : [("Sync-Covers", covers)]);

        await Problems.AssertProblem(response, HttpStatusCode.BadRequest, "invalid-request");
        await AssertUnchangedAsync(workspaceId, master);
    }

    private IEnumerable<(string Route, Func<string?, Task<HttpResponseMessage>> Send)> SyncRoutes(object workspaceId)
    {
        var path = $"/api/workspaces/{workspaceId}";
        yield return ("push", token => sync.Http.PushChangeAsync(workspaceId, token, new ByteArrayContent([9, 9, 9]), Ct));
        yield return ("pull", token => sync.Http.SendAsync(HttpMethod.Get, $"{path}/changes?after=0", token, Ct));
        yield return ("snapshot", token => sync.Http.UploadSnapshotAsync(workspaceId, token, new ByteArrayContent([8, 8]), covers: 1, Ct));
        yield return ("events", token => sync.Http.SendAsync(HttpMethod.Get, $"{path}/events", token, Ct, null, ("Accept", "text/event-stream")));
    }

    /// <summary>The master still sees exactly the one change it pushed: no change, no snapshot.</summary>
    private async Task AssertUnchangedAsync(Guid workspaceId, string master)
    {
        PullResult pulled = await sync.Api.PullAsync(master, workspaceId, 0, Ct);
        Assert.Equal(1, pulled.Head);
        var frame = Assert.Single(pulled.Frames);
        Assert.Equal([1, 2, 3], frame.Data);
        Assert.False(frame.IsSnapshot);
    }
}
