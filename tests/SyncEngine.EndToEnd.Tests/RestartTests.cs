using System.Net;
using System.Net.Http.Headers;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace SyncEngine.EndToEnd.Tests;

[Collection(SyncEngineCollection.Name)]
public sealed class RestartTests(SyncEngineApp app)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task tokens_keep_working_and_revocations_keep_holding_after_the_services_restart()
    {
        var workspaceId = Guid.NewGuid();
        var owner = Guid.NewGuid();
        var master = (await app.Api.ClaimAsync(workspaceId, owner, Guid.NewGuid().ToString(), Ct)).Token;
        var revokedClient = Guid.NewGuid();
        var grant = await app.Api.GrantAsync(master, workspaceId, revokedClient, "read_write", ct: Ct);
        var revokedToken = (await app.Api.JoinAsync(workspaceId, revokedClient, grant.InviteCode, Ct)).Token;
        await app.Api.RevokeAsync(master, workspaceId, revokedClient, Ct);
        await Eventually.Until(token => Status($"/api/workspaces/{workspaceId}", revokedToken, token),
            s => s == HttpStatusCode.Unauthorized, TimeSpan.FromSeconds(5), Ct);

        string[] services = ["auth", "workspace", "sync"];
        await Task.WhenAll(services.Select(async service =>
        {
            // By resource, not name: Sync runs as several replicas, and the command then restarts each of them.
            var resource = app.App.Services.GetRequiredService<DistributedApplicationModel>().Resources.Single(r => r.Name == service);
            var result = await app.App.ResourceCommands.ExecuteCommandAsync(resource, "restart", Ct);
            Assert.True(result.Success, $"restarting {service}: {result.Message}");
        }));
        using var started = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        started.CancelAfter(TimeSpan.FromMinutes(2));
        foreach (var service in services)
        {
            await app.App.ResourceNotifications.WaitForResourceHealthyAsync(service, started.Token);
        }

        var masterAtWorkspace = await Eventually.Until(token => Status($"/api/workspaces/{workspaceId}", master, token),
            s => s == HttpStatusCode.OK, TimeSpan.FromSeconds(30), Ct);
        Assert.Equal(HttpStatusCode.OK, masterAtWorkspace);
        Assert.Equal(HttpStatusCode.OK, await Status($"/api/workspaces/{workspaceId}/tokens", master, Ct));
        Assert.Equal(HttpStatusCode.Unauthorized, await Status($"/api/workspaces/{workspaceId}", revokedToken, Ct));
        Assert.Equal(HttpStatusCode.Unauthorized, await Status($"/api/workspaces/{workspaceId}/tokens", revokedToken, Ct));
    }

    private async Task<HttpStatusCode> Status(string path, string token, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await app.Gateway.SendAsync(request, ct);
        return response.StatusCode;
    }
}
