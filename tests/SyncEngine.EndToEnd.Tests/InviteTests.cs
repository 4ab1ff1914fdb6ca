using System.Net;
using SyncEngine.Testing;
using Xunit;

namespace SyncEngine.EndToEnd.Tests;

[Collection(SyncEngineCollection.Name)]
public sealed class InviteTests(SyncEngineApp app)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task a_grant_answers_201_with_an_invite_valid_for_seven_days()
    {
        var (workspaceId, _, master) = await app.NewWorkspaceAsync(Ct);
        var client = Guid.NewGuid();

        using var response = await app.Gateway.SendJsonAsync(
            HttpMethod.Post, $"/api/workspaces/{workspaceId}/tokens", master, new { clientId = client, scope = "read" }, Ct);
        var granted = DateTimeOffset.UtcNow;

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var grant = await response.Json();
        Assert.Equal(client, grant.GetProperty("clientId").GetGuid());
        Assert.Equal(System.Text.Json.JsonValueKind.Null, grant.GetProperty("expiresAt").ValueKind);
        Assert.InRange(grant.GetProperty("inviteExpiresAt").GetDateTimeOffset(), granted.AddDays(7).AddMinutes(-1), granted.AddDays(7).AddMinutes(1));
    }

    [Fact]
    public async Task an_invite_lasts_no_longer_than_the_access_it_grants()
    {
        var (workspaceId, _, master) = await app.NewWorkspaceAsync(Ct);

        var grant = await app.Api.GrantAsync(master, workspaceId, Guid.NewGuid(), "read", expiresInSeconds: 3600, Ct);

        Assert.Equal(grant.ExpiresAt, grant.InviteExpiresAt);
    }
}
