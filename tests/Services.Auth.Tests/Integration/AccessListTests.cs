using System.Net;
using System.Security.Cryptography;
using System.Text;
using SyncEngine.Testing;
using Xunit;

namespace Services.Auth.Tests.Integration;

/// <summary>Who may grant, list and revoke (the master only), and what the list shows: never a secret.</summary>
public sealed class AccessListTests(AuthService auth)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task only_the_master_may_grant_list_or_revoke()
    {
        var (workspaceId, owner, master) = await auth.NewWorkspaceAsync();
        var (reader, read) = await auth.NewMemberAsync(workspaceId, master, "read");
        var (_, write) = await auth.NewMemberAsync(workspaceId, master, "read_write");
        var path = $"/api/workspaces/{workspaceId}/tokens";

        foreach (var token in new[] { read.Token, write.Token })
        {
            using var grant = await auth.Http.SendJsonAsync(HttpMethod.Post, path, token, new { clientId = Guid.NewGuid(), scope = "read" }, Ct);
            using var list = await auth.Http.SendAsync(HttpMethod.Get, path, token, Ct);
            using var revoke = await auth.Http.SendAsync(HttpMethod.Delete, $"{path}/{reader}", token, Ct);
            using var endMasters = await auth.Http.SendAsync(HttpMethod.Delete, $"{path}/{owner}", token, Ct);

            await Problems.AssertProblem(grant, HttpStatusCode.Forbidden, "forbidden");
            await Problems.AssertProblem(list, HttpStatusCode.Forbidden, "forbidden");
            await Problems.AssertProblem(revoke, HttpStatusCode.Forbidden, "forbidden");
            await Problems.AssertProblem(endMasters, HttpStatusCode.Forbidden, "forbidden");
        }

        var tokens = await auth.Api.ListTokensAsync(master, workspaceId, Ct);
        Assert.Equal(3, tokens.Count);
        Assert.All(tokens, t => Assert.Equal("active", t.Status));
    }

    [Fact]
    public async Task the_token_list_holds_no_token_invite_code_or_code_hash_after_a_join_and_a_grant_again()
    {
        var (workspaceId, _, master) = await auth.NewWorkspaceAsync();
        var client = Guid.NewGuid();
        var first = await auth.Api.GrantAsync(master, workspaceId, client, "read_write", ct: Ct);
        var joined = await auth.Api.JoinAsync(workspaceId, client, first.InviteCode, Ct);
        string[] secrets = [master, joined.Token, first.InviteCode];

        var afterJoin = await ListAsync(workspaceId, master);
        await auth.Api.RevokeAsync(master, workspaceId, client, Ct);
        var again = await auth.Api.GrantAsync(master, workspaceId, client, "read", ct: Ct);
        var afterGrantAgain = await ListAsync(workspaceId, master);

        foreach (var (body, code) in new[] { (afterJoin, first.InviteCode), (afterGrantAgain, again.InviteCode) })
        {
            foreach (var secret in secrets.Append(code))
            {
                Assert.DoesNotContain(secret, body);
            }

            foreach (var hash in new[] { first.InviteCode, again.InviteCode }.Select(c => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(c)))))
            {
                Assert.DoesNotContain(hash, body, StringComparison.OrdinalIgnoreCase);
            }

            Assert.DoesNotContain("eyJ", body);
            Assert.DoesNotContain("hash", body, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("inviteCode", body, StringComparison.OrdinalIgnoreCase);
        }

        var rows = System.Text.Json.JsonDocument.Parse(afterGrantAgain).RootElement.EnumerateArray().ToList();
        Assert.Equal(3, rows.Count);
        Assert.Equal(["active", "pending", "revoked"], rows.Select(r => r.GetProperty("status").GetString()).Order());
    }

    private async Task<string> ListAsync(Guid workspaceId, string master)
    {
        using var response = await auth.Http.SendAsync(HttpMethod.Get, $"/api/workspaces/{workspaceId}/tokens", master, Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadAsStringAsync(Ct);
    }
}
