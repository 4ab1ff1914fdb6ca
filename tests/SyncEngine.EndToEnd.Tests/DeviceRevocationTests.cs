using System.Net;
using SyncEngine.Client;
using SyncEngine.Testing;
using Xunit;

namespace SyncEngine.EndToEnd.Tests;

/// <summary>
/// A lost or stolen device cut off by an operator (<c>DELETE /admin/apps/{appId}/clients/{clientId}</c>, and the
/// CLI's <c>clients revoke</c>): refused in every workspace of the app, on every service, while the same client id in
/// another app's workspace and every other device go on (their pulls of these empty workspaces: 204).
/// </summary>
[Collection(SyncEngineCollection.Name)]
public sealed class DeviceRevocationTests(SyncEngineApp app)
{
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(10);
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task an_operator_revokes_a_device_in_every_workspace_of_one_app_and_nowhere_else()
    {
        var admin = await app.OperatorTokenAsync(Ct);
        var otherApp = $"dev-{Guid.NewGuid():N}"[..16];
        await app.Api.RegisterAppAsync(admin, new AppSettings(otherApp, "Other"), Ct);
        var device = Guid.NewGuid();
        var (first, _, firstMaster) = await app.NewWorkspaceAsync(Ct);
        var (second, _, secondMaster) = await app.NewWorkspaceAsync(Ct);
        var firstToken = await JoinAsync(first, firstMaster, device);
        var secondToken = await JoinAsync(second, secondMaster, device);
        var (bystander, bystanderToken) = await app.NewMemberAsync(first, firstMaster, "read_write", Ct);
        var (elsewhere, elsewhereMaster) = await ClaimInAsync(otherApp);
        var elsewhereToken = await JoinAsync(elsewhere, elsewhereMaster, device);

        var revoked = await app.Api.RevokeDeviceAsync(admin, SyncEngineApp.DefaultApp, device, Ct);

        Assert.Equal(new[] { first, second }.Order(), revoked.Workspaces.Order());
        Assert.Equal(2, revoked.Tokens);
        foreach (var (workspaceId, token) in new[] { (first, firstToken), (second, secondToken) })
        {
            foreach (var path in new[] { $"/api/workspaces/{workspaceId}/changes?after=0", $"/api/workspaces/{workspaceId}" })
            {
                Assert.Equal(HttpStatusCode.Unauthorized, await Eventually.Until(t => app.Gateway.StatusAsync(path, token, t),
                    s => s == HttpStatusCode.Unauthorized, Settle, Ct));
            }
        }

        Assert.Equal(HttpStatusCode.NoContent, await app.Gateway.StatusAsync($"/api/workspaces/{elsewhere}/changes?after=0", elsewhereToken, Ct));
        Assert.Equal(HttpStatusCode.NoContent, await app.Gateway.StatusAsync($"/api/workspaces/{first}/changes?after=0", bystanderToken, Ct));
        var tokens = await app.Api.ListTokensAsync(firstMaster, first, Ct);
        Assert.Equal("revoked", Assert.Single(tokens, t => t.ClientId == device).Status);
        Assert.NotEqual("revoked", Assert.Single(tokens, t => t.ClientId == bystander).Status);

        var again = await Assert.ThrowsAsync<SyncEngineApiException>(() => app.Api.RevokeDeviceAsync(admin, SyncEngineApp.DefaultApp, Guid.NewGuid(), Ct));
        Assert.Equal((HttpStatusCode.NotFound, "not-found"), (again.Status, again.Code));
        var noApp = await Assert.ThrowsAsync<SyncEngineApiException>(() => app.Api.RevokeDeviceAsync(admin, "no-such-app", device, Ct));
        Assert.Equal((HttpStatusCode.NotFound, "app-not-found"), (noApp.Status, noApp.Code));
        using var workspaceToken = await app.Gateway.SendAsync(HttpMethod.Delete, $"/admin/apps/{SyncEngineApp.DefaultApp}/clients/{bystander}", firstMaster, Ct);
        await Problems.AssertProblem(workspaceToken, HttpStatusCode.Unauthorized, "unauthorized");
        using var malformed = await app.Gateway.SendAsync(HttpMethod.Delete, $"/admin/apps/{SyncEngineApp.DefaultApp}/clients/not-a-uuid", admin, Ct);
        await Problems.AssertProblem(malformed, HttpStatusCode.BadRequest, "invalid-request");
        Assert.Equal(HttpStatusCode.NoContent, await app.Gateway.StatusAsync($"/api/workspaces/{first}/changes?after=0", bystanderToken, Ct));
    }

    private async Task<string> JoinAsync(Guid workspaceId, string master, Guid device)
    {
        var grant = await app.Api.GrantAsync(master, workspaceId, device, "read_write", ct: Ct);
        return (await app.Api.JoinAsync(workspaceId, device, grant.InviteCode, Ct)).Token;
    }

    private async Task<(Guid WorkspaceId, string Master)> ClaimInAsync(string appId)
    {
        var (workspaceId, _, master) = await app.NewWorkspaceInAppAsync(appId, Ct);
        return (workspaceId, master);
    }
}
