using System.Net;
using SyncEngine.Client;
using SyncEngine.Testing;
using Xunit;

namespace SyncEngine.EndToEnd.Tests;

/// <summary>
/// <c>GET /admin/apps/{appId}/usage</c> through the gateway: exact against what was stored and sent, over both Sync
/// replicas, for one app and nothing of another.
/// </summary>
// On the RabbitMQ app, although it does not depend on the transport: see RabbitMqCollection.
[Collection(RabbitMqCollection.Name)]
public sealed class UsageTests(RabbitMqApp app)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task an_apps_usage_counts_its_workspaces_bytes_changes_traffic_and_live_streams()
    {
        var admin = await app.OperatorTokenAsync(Ct);
        var appId = $"use-{Guid.NewGuid():N}"[..16];
        await app.Api.RegisterAppAsync(admin, new AppSettings(appId, "Usage"), Ct);
        var first = await ClaimAsync(appId);
        var second = await ClaimAsync(appId);
        await app.Api.PushAsync(first.Master, first.WorkspaceId, new byte[10], Guid.NewGuid(), 1, Ct);
        await app.Api.PushAsync(first.Master, first.WorkspaceId, new byte[20], Guid.NewGuid(), 1, Ct);
        await app.Api.PushAsync(second.Master, second.WorkspaceId, new byte[5], Guid.NewGuid(), 1, Ct);
        // Another app's traffic is not this app's.
        var (other, _, otherMaster) = await app.NewWorkspaceAsync(Ct);
        await app.Api.PushAsync(otherMaster, other, new byte[100], Guid.NewGuid(), 1, Ct);
        var pulled = await app.Api.PullAsync(first.Master, first.WorkspaceId, 0, Ct);
        await using var stream = await EventStream.OpenAsync(app.Gateway, second.WorkspaceId, second.Master, null, Ct);
        Assert.NotNull(await stream.NextMatchingAsync(m => m.Event == "head", TimeSpan.FromSeconds(10), Ct));

        var expected = new AppUsage(Workspaces: 2, StoredBytes: 35, Changes: 3, PushesLast24h: 3, BytesInLast24h: 35,
            BytesOutLast24h: pulled.BodyBytes, LiveStreams: 1);
        var usage = await Eventually.Until(t => app.Api.GetAppUsageAsync(admin, appId, t), u => u == expected, TimeSpan.FromSeconds(15), Ct);
        Assert.Equal(expected, usage);

        // A snapshot covers the first workspace's changes and they are pruned (the retention here is seconds): the
        // stored changes drop, the day's pushes and their bytes do not.
        await app.Api.UploadSnapshotAsync(first.Master, first.WorkspaceId, new byte[7], covers: 2, schemaVersion: 1, Ct);
        var pruned = await Eventually.Until(t => app.Api.GetAppUsageAsync(admin, appId, t), u => u.Changes == 1,
            SyncEngineApp.CoveredChangeRetention + TimeSpan.FromSeconds(15), Ct);
        Assert.Equal(expected with { Changes = 1, StoredBytes = 7 + 5 }, pruned);
    }

    [Fact]
    public async Task usage_of_an_unknown_app_is_404_and_a_workspace_token_is_401()
    {
        var admin = await app.OperatorTokenAsync(Ct);
        using var unknown = await app.Gateway.SendAsync(HttpMethod.Get, "/admin/apps/no-such-app/usage", admin, Ct);
        await Problems.AssertProblem(unknown, HttpStatusCode.NotFound, "app-not-found");
        var (_, _, master) = await app.NewWorkspaceAsync(Ct);
        using var workspaceToken = await app.Gateway.SendAsync(HttpMethod.Get, $"/admin/apps/{SyncEngineApp.DefaultApp}/usage", master, Ct);
        await Problems.AssertProblem(workspaceToken, HttpStatusCode.Unauthorized, "unauthorized");
    }

    private async Task<(Guid WorkspaceId, string Master)> ClaimAsync(string appId)
    {
        var (workspaceId, _, master) = await app.NewWorkspaceInAppAsync(appId, Ct);
        return (workspaceId, master);
    }
}
