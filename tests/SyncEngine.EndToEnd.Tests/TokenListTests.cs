using System.Net;
using System.Security.Cryptography;
using System.Text;
using SyncEngine.Testing;
using Xunit;

namespace SyncEngine.EndToEnd.Tests;

[Collection(SyncEngineCollection.Name)]
public sealed class TokenListTests(SyncEngineApp app)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task the_token_list_holds_no_token_invite_code_or_code_hash_after_a_join_and_a_grant_again()
    {
        var (workspaceId, _, master) = await app.NewWorkspaceAsync(Ct);
        var client = Guid.NewGuid();
        var first = await app.Api.GrantAsync(master, workspaceId, client, "read_write", ct: Ct);
        var joined = await app.Api.JoinAsync(workspaceId, client, first.InviteCode, Ct);
        string[] secrets = [master, joined.Token, first.InviteCode];

        var afterJoin = await ListAsync(workspaceId, master);
        await app.Api.RevokeAsync(master, workspaceId, client, Ct);
        var again = await app.Api.GrantAsync(master, workspaceId, client, "read", ct: Ct);
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
        using var response = await app.Gateway.SendAsync(HttpMethod.Get, $"/api/workspaces/{workspaceId}/tokens", master, Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadAsStringAsync(Ct);
    }
}
