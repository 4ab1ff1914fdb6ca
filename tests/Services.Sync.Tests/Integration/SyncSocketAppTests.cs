using SyncEngine.Client;
using AppQuotas = SyncEngine.Contracts.Apps.AppQuotas;
using Xunit;
using static SyncEngine.Testing.TestData;

namespace Services.Sync.Tests.Integration;

/// <summary>The realtime channel holds an app's workspaces to the app as the HTTP routes do: suspension, quotas, limits.</summary>
public sealed class SyncSocketAppTests(SyncService sync)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    private static string NewAppId() => $"sock-{Guid.NewGuid():N}"[..16];

    private static async Task<SyncSocketMessage> Answer(SyncSocket socket, long reference) =>
        await socket.NextAsync(m => m.Ref == reference, Wait, Ct) ?? throw new Xunit.Sdk.XunitException($"No answer to ref {reference}.");

    private static async Task SubscribedAsync(SyncSocket socket, long reference, Guid workspaceId, string token)
    {
        await socket.SubscribeAsync(reference, workspaceId, token, 0, Ct);
        var answer = await Answer(socket, reference);
        Assert.True(answer.Type == "subscribed", answer.Header.ToString());
    }

    [Fact]
    public async Task suspending_an_app_ends_its_subscriptions_and_refuses_them_until_it_is_resumed_while_other_apps_go_on()
    {
        var (suspended, other) = (NewAppId(), NewAppId());
        await sync.RegisterAppAsync(suspended, new AppQuotas());
        await sync.RegisterAppAsync(other, new AppQuotas());
        var (workspaceId, _, master) = await sync.NewWorkspaceAsync(suspended);
        var (otherWorkspace, _, otherMaster) = await sync.NewWorkspaceAsync(other);
        await using var socket = await sync.OpenSocketAsync();
        await SubscribedAsync(socket, 1, workspaceId, master);
        await SubscribedAsync(socket, 2, otherWorkspace, otherMaster);

        await sync.SetSuspendedAsync(suspended, new AppQuotas(), suspended: true, version: 2);
        var ended = await socket.NextAsync(m => m.Type == "app-suspended", Wait, Ct);
        Assert.Equal(workspaceId, ended?.Workspace);

        await socket.SubscribeAsync(3, workspaceId, master, 0, Ct);
        var refused = await Answer(socket, 3);
        Assert.Equal(("error", 403, "app-suspended"), (refused.Type, refused.Status, refused.Code));
        await socket.PushAsync(4, otherWorkspace, Guid.NewGuid(), 1, [1], Ct);
        Assert.Equal("ack", (await Answer(socket, 4)).Type);

        await sync.SetSuspendedAsync(suspended, new AppQuotas(), suspended: false, version: 3);
        await SubscribedAsync(socket, 5, workspaceId, master);
        await socket.PushAsync(6, workspaceId, Guid.NewGuid(), 1, [2], Ct);
        Assert.Equal("ack", (await Answer(socket, 6)).Type);
    }

    [Fact]
    public async Task a_push_is_held_to_the_apps_byte_quotas_and_change_size()
    {
        var appId = NewAppId();
        await sync.RegisterAppAsync(appId, new AppQuotas(MaxWorkspaceBytes: 1000, MaxAppBytes: 1500, MaxChangeBytes: 700));
        var (first, _, firstMaster) = await sync.NewWorkspaceAsync(appId);
        var (second, _, secondMaster) = await sync.NewWorkspaceAsync(appId);
        await using var socket = await sync.OpenSocketAsync();
        await SubscribedAsync(socket, 1, first, firstMaster);
        await SubscribedAsync(socket, 2, second, secondMaster);

        await socket.PushAsync(3, first, Guid.NewGuid(), 1, Bytes(800, 1), Ct);
        var tooLarge = await Answer(socket, 3);
        Assert.Equal(("error", 413, "payload-too-large"), (tooLarge.Type, tooLarge.Status, tooLarge.Code));

        await socket.PushAsync(4, first, Guid.NewGuid(), 1, Bytes(600, 2), Ct);
        Assert.Equal("ack", (await Answer(socket, 4)).Type);
        await socket.PushAsync(5, first, Guid.NewGuid(), 1, Bytes(600, 3), Ct);
        var workspaceFull = await Answer(socket, 5);
        Assert.Equal((403, "quota-exceeded", "maxWorkspaceBytes"), (workspaceFull.Status, workspaceFull.Code, workspaceFull.Header.GetProperty("quota").GetString()));

        await socket.PushAsync(6, second, Guid.NewGuid(), 1, Bytes(600, 4), Ct);
        Assert.Equal("ack", (await Answer(socket, 6)).Type);
        await socket.PushAsync(7, second, Guid.NewGuid(), 1, Bytes(400, 5), Ct);
        var appFull = await Answer(socket, 7);
        Assert.Equal((403, "quota-exceeded", "maxAppBytes", 1500L, 1200L),
            (appFull.Status, appFull.Code, appFull.Header.GetProperty("quota").GetString(), appFull.Long("limit"), appFull.Long("used")));

        Assert.Equal(1, (await sync.Api.PullAsync(firstMaster, first, 0, Ct)).Head);
        Assert.Equal(1, (await sync.Api.PullAsync(secondMaster, second, 0, Ct)).Head);
    }

    [Fact]
    public async Task a_device_holds_at_most_its_apps_max_live_streams_per_client_subscriptions()
    {
        var appId = NewAppId();
        await sync.RegisterAppAsync(appId, new AppQuotas(MaxLiveStreamsPerClient: 1));
        var device = Guid.NewGuid();
        var (first, _, firstMaster) = await sync.NewWorkspaceAsync(appId, device);
        var (second, _, secondMaster) = await sync.NewWorkspaceAsync(appId, device);
        await using var socket = await sync.OpenSocketAsync();
        await SubscribedAsync(socket, 1, first, firstMaster);

        await socket.SubscribeAsync(2, second, secondMaster, 0, Ct);
        var refused = await Answer(socket, 2);
        Assert.Equal(("error", 403, "quota-exceeded", "maxLiveStreamsPerClient"),
            (refused.Type, refused.Status, refused.Code, refused.Header.GetProperty("quota").GetString()));

        // Unsubscribing makes room.
        await socket.UnsubscribeAsync(3, first, Ct);
        Assert.Equal("unsubscribed", (await Answer(socket, 3)).Type);
        await SubscribedAsync(socket, 4, second, secondMaster);
    }
}
