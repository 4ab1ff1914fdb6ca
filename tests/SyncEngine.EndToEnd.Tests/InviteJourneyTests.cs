using SyncEngine.Testing;
using Xunit;

namespace SyncEngine.EndToEnd.Tests;

/// <summary>
/// Claim, invite, join: Workspace claims and asks Auth for the master token, Auth grants and redeems the invite, and
/// the member's token is honoured by Workspace and Sync, which learn of the member from Auth's message and its token.
/// (Each service's own rules are in its integration tests.)
/// </summary>
[Collection(SyncEngineCollection.Name)]
public class InviteJourneyTests(SyncEngineApp app)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task a_claim_and_its_retry_each_get_a_master_token_from_auth_that_every_service_honours()
    {
        var (workspaceId, owner) = (Guid.NewGuid(), Guid.NewGuid());
        var key = Guid.NewGuid().ToString();

        var first = await app.Api.ClaimAsync(workspaceId, owner, key, Ct);
        var retry = await app.Api.ClaimAsync(workspaceId, owner, key, Ct);

        Assert.Equal((workspaceId, owner, first.CreatedAt), (retry.WorkspaceId, retry.OwnerClientId, retry.CreatedAt));
        Assert.NotEqual(Jwt.Payload(first.Token).GetProperty("jti").GetString(), Jwt.Payload(retry.Token).GetProperty("jti").GetString());
        foreach (var master in new[] { first.Token, retry.Token })
        {
            Assert.True((await app.Api.GetWorkspaceAsync(master, workspaceId, Ct)).TryGetProperty("members", out _), "not a master token");
            Assert.Equal(0, (await app.Api.PullAsync(master, workspaceId, 0, Ct)).Head);
        }

        Assert.Equal(2, (await app.Api.ListTokensAsync(first.Token, workspaceId, Ct)).Count(t => t.IsMaster));
        Assert.Equal("created", Assert.Single((await app.Api.GetHistoryAsync(retry.Token, workspaceId, Ct)).EnumerateArray()).GetProperty("type").GetString());
    }

    [Fact]
    public async Task an_invited_client_joins_with_its_code_and_its_token_works_in_every_service()
    {
        var (workspaceId, owner, master) = await app.NewWorkspaceAsync(Ct);
        await app.Api.PushAsync(master, workspaceId, [1], Guid.NewGuid(), 1, Ct);
        var client = Guid.NewGuid();

        var grant = await app.Api.GrantAsync(master, workspaceId, client, "read_write", ct: Ct);
        var joined = await app.Api.JoinAsync(workspaceId, client, grant.InviteCode, Ct);

        Assert.Equal(grant.TokenId, joined.TokenId);
        Assert.Equal($"/join/{workspaceId}#{grant.InviteCode}", grant.JoinPath);
        var asMember = await app.Api.GetWorkspaceAsync(joined.Token, workspaceId, Ct);
        Assert.Equal(owner, asMember.GetProperty("ownerClientId").GetGuid());
        Assert.False(asMember.TryGetProperty("members", out _), "members are for the master only");
        Assert.Equal(2, await app.Api.PushAsync(joined.Token, workspaceId, [2], Guid.NewGuid(), 1, Ct));
        Assert.Equal([[1], [2]], (await app.Api.PullAsync(joined.Token, workspaceId, 0, Ct)).Frames.Select(f => f.Data));
        // Workspace records the grant from Auth's AccessGranted, a message hop behind.
        var asOwner = await Eventually.Until(
            token => app.Api.GetWorkspaceAsync(master, workspaceId, token),
            w => w.GetProperty("members").GetArrayLength() > 0, TimeSpan.FromSeconds(10), Ct);
        Assert.Contains(asOwner.GetProperty("members").EnumerateArray(), m => m.GetProperty("clientId").GetGuid() == client);
        var history = await app.Api.GetHistoryAsync(master, workspaceId, Ct);
        Assert.Equal(["created", "granted"], history.EnumerateArray().Select(e => e.GetProperty("type").GetString()));
    }
}
