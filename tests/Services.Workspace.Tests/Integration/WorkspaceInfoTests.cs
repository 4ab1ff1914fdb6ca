using System.Net;
using System.Text.Json;
using SyncEngine.Contracts.Auth;
using SyncEngine.Testing;
using Xunit;

namespace Services.Workspace.Tests.Integration;

/// <summary>GET /api/workspaces/{id} and its history: who may read them, and what Auth's messages add to them.</summary>
public sealed class WorkspaceInfoTests(WorkspaceService workspace)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task any_token_of_the_workspace_reads_its_info_and_only_the_master_sees_members_and_history()
    {
        var (workspaceId, owner, master) = await workspace.NewWorkspaceAsync();
        var (reader, _, readToken) = await workspace.NewMemberAsync(workspaceId, owner, "read");
        var (_, _, writeToken) = await workspace.NewMemberAsync(workspaceId, owner, "read_write");

        foreach (var token in new[] { readToken, writeToken })
        {
            var asMember = await workspace.Api.GetWorkspaceAsync(token, workspaceId, Ct);
            Assert.Equal(owner, asMember.GetProperty("ownerClientId").GetGuid());
            Assert.False(asMember.TryGetProperty("members", out _), "members are for the master only");
            using var history = await workspace.Http.SendAsync(HttpMethod.Get, $"/api/workspaces/{workspaceId}/history", token, Ct);
            await Problems.AssertProblem(history, HttpStatusCode.Forbidden, "forbidden");
        }

        var asOwner = await workspace.Api.GetWorkspaceAsync(master, workspaceId, Ct);
        var members = asOwner.GetProperty("members").EnumerateArray().ToList();
        Assert.Equal(2, members.Count);
        Assert.Equal(reader, members[0].GetProperty("clientId").GetGuid());
        Assert.Equal(("read", JsonValueKind.Null), (members[0].GetProperty("scope").GetString(), members[0].GetProperty("revokedAt").ValueKind));
    }

    [Fact]
    public async Task each_history_entry_says_when_and_which_client_acted()
    {
        var start = DateTimeOffset.UtcNow.AddSeconds(-5);
        var (workspaceId, owner, master) = await workspace.NewWorkspaceAsync();
        var (client, tokenId, _) = await workspace.NewMemberAsync(workspaceId, owner, "read");
        await workspace.InvokeAsync(new AccessRevoked(workspaceId, client, owner, DateTimeOffset.UtcNow, [tokenId]));

        var history = (await workspace.Api.GetHistoryAsync(master, workspaceId, Ct)).EnumerateArray().ToList();

        Assert.Equal(["created", "granted", "revoked"], history.Select(e => e.GetProperty("type").GetString()));
        Assert.All(history, e => Assert.Equal(owner, e.GetProperty("actor").GetGuid()));
        var times = history.Select(e => e.GetProperty("at").GetDateTimeOffset()).ToList();
        Assert.All(times, at => Assert.InRange(at, start, DateTimeOffset.UtcNow.AddSeconds(5)));
        Assert.Equal(times.Order(), times);
        Assert.Equal(JsonValueKind.Null, history[0].GetProperty("clientId").ValueKind);
        Assert.Equal([client, client], history.Skip(1).Select(e => e.GetProperty("clientId").GetGuid()));
        Assert.Equal("read", history[1].GetProperty("scope").GetString());
    }

    [Fact]
    public async Task a_revoked_member_is_refused_and_shown_revoked_and_a_redelivered_message_records_nothing_twice()
    {
        var (workspaceId, owner, master) = await workspace.NewWorkspaceAsync();
        var (client, tokenId, token) = await workspace.NewMemberAsync(workspaceId, owner, "read_write");
        var revoked = new AccessRevoked(workspaceId, client, owner, DateTimeOffset.UtcNow, [tokenId]);
        var granted = new AccessGranted(workspaceId, tokenId, client, "read_write", null, owner, DateTimeOffset.UtcNow.AddMinutes(-1));

        await workspace.InvokeAsync(revoked);
        await workspace.InvokeAsync(revoked);
        await workspace.InvokeAsync(granted);

        Assert.Equal(HttpStatusCode.Unauthorized, await Eventually.Until(
            t => workspace.Http.StatusAsync($"/api/workspaces/{workspaceId}", token, t), s => s == HttpStatusCode.Unauthorized, TimeSpan.FromSeconds(10), Ct));
        var member = Assert.Single((await workspace.Api.GetWorkspaceAsync(master, workspaceId, Ct)).GetProperty("members").EnumerateArray());
        Assert.NotEqual(JsonValueKind.Null, member.GetProperty("revokedAt").ValueKind);
        var types = (await workspace.Api.GetHistoryAsync(master, workspaceId, Ct)).EnumerateArray().Select(e => e.GetProperty("type").GetString());
        Assert.Equal(["created", "granted", "revoked"], types);
    }

    [Fact]
    public async Task a_valid_token_of_a_workspace_this_service_never_saw_is_workspace_not_found()
    {
        var unknown = Guid.NewGuid();
        var token = workspace.Signer.Issue(unknown, Guid.NewGuid(), master: true);

        using var info = await workspace.Http.SendAsync(HttpMethod.Get, $"/api/workspaces/{unknown}", token, Ct);
        using var history = await workspace.Http.SendAsync(HttpMethod.Get, $"/api/workspaces/{unknown}/history", token, Ct);

        await Problems.AssertProblem(info, HttpStatusCode.NotFound, "workspace-not-found");
        await Problems.AssertProblem(history, HttpStatusCode.NotFound, "workspace-not-found");
    }

    [Fact]
    public async Task hostile_tokens_ids_and_another_workspaces_token_are_refused()
    {
        var (workspaceId, owner, master) = await workspace.NewWorkspaceAsync();
        var otherMaster = (await workspace.NewWorkspaceAsync()).Master;
        var claims = ForgedTokens.Claims(workspaceId, owner);
        var kid = Jwt.KeyId(master);
        string?[] unauthorized =
        [
            null, "garbage", ForgedTokens.AlgNone(claims, kid), ForgedTokens.Hs256(claims, ForgedTokens.PublicKeyBytes(workspace.Signer.Jwks(), kid), kid),
            ForgedTokens.Es256WithForeignKey(claims, kid), master[..^4] + (master[^4] == 'A' ? "BAAA" : "AAAA"),
            workspace.Signer.Issue(workspaceId, owner, master: true, issuedAt: DateTimeOffset.UtcNow.AddMinutes(-2), expires: DateTimeOffset.UtcNow.AddMinutes(-1)),
        ];

        foreach (var path in new[] { $"/api/workspaces/{workspaceId}", $"/api/workspaces/{workspaceId}/history" })
        {
            foreach (var token in unauthorized)
            {
                using var response = await workspace.Http.SendAsync(HttpMethod.Get, path, token, Ct);
                await Problems.AssertProblem(response, HttpStatusCode.Unauthorized, "unauthorized");
            }

            using var foreign = await workspace.Http.SendAsync(HttpMethod.Get, path, otherMaster, Ct);
            await Problems.AssertProblem(foreign, HttpStatusCode.Forbidden, "forbidden");
        }

        foreach (var path in new[] { "/api/workspaces/not-a-uuid", "/api/workspaces/123/history" })
        {
            using var response = await workspace.Http.SendAsync(HttpMethod.Get, path, master, Ct);
            await Problems.AssertProblem(response, HttpStatusCode.BadRequest, "invalid-request");
        }
    }
}
