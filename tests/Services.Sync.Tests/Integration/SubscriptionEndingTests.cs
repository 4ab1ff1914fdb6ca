using System.Diagnostics;
using SyncSocket = SyncEngine.Client.SyncSocket;
using SyncEngine.Contracts.Apps;
using SyncEngine.Contracts.Auth;
using SyncEngine.Contracts.Workspaces;
using Xunit;

namespace Services.Sync.Tests.Integration;

/// <summary>
/// Revocation, expiry, suspension and deletion end a socket's subscription at once, each by its own path (a NOTIFY, the
/// token's timer, the app directory's change), not at the next heartbeat or audit: here those are an hour away, so an
/// ending that did not come by its own path would not come within the test's wait. How long each took is printed.
/// </summary>
public sealed class SubscriptionEndingTests(SyncServiceWithoutSafetyNet sync) : IClassFixture<SyncServiceWithoutSafetyNet>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task<SyncSocket> SubscribedAsync(Guid workspaceId, string token)
    {
        var socket = await sync.OpenSocketAsync();
        await socket.SubscribeAsync(1, workspaceId, token, 0, Ct);
        Assert.Equal("subscribed", (await socket.NextAnswerAsync())?.Type);
        return socket;
    }

    private static async Task EndsWithAsync(SyncSocket socket, string type, Guid workspaceId, Stopwatch since)
    {
        var ended = await socket.NextAnswerAsync();
        Assert.Equal((type, workspaceId), (ended?.Type, ended?.Workspace));
        TestContext.Current.TestOutputHelper?.WriteLine($"{type} after {since.ElapsedMilliseconds} ms");
    }

    [Fact]
    public async Task a_revocation_ends_the_subscription_by_its_notify()
    {
        var (workspaceId, owner, _) = await sync.NewWorkspaceAsync();
        var (client, tokenId, token) = sync.NewMember(workspaceId, "read_write");
        await using var socket = await SubscribedAsync(workspaceId, token);
        var since = Stopwatch.StartNew();
        await sync.InvokeAsync(new AccessRevoked(workspaceId, client, owner, DateTimeOffset.UtcNow, [tokenId]));
        await EndsWithAsync(socket, "revoked", workspaceId, since);
    }

    [Fact]
    public async Task an_erasure_ends_the_subscription_by_its_notify()
    {
        var (workspaceId, owner, master) = await sync.NewWorkspaceAsync();
        await using var socket = await SubscribedAsync(workspaceId, master);
        var since = Stopwatch.StartNew();
        await sync.InvokeAsync(new WorkspaceErased(workspaceId, $"owner:{owner}", DateTimeOffset.UtcNow));
        await EndsWithAsync(socket, "deleted", workspaceId, since);
    }

    [Fact]
    public async Task a_suspension_ends_the_subscription_when_the_app_directory_hears_of_it()
    {
        var appId = $"ending-{Guid.NewGuid():N}"[..20];
        await sync.RegisterAppAsync(appId, new AppQuotas());
        var (workspaceId, _, master) = await sync.NewWorkspaceAsync(appId);
        await using var socket = await SubscribedAsync(workspaceId, master);
        var since = Stopwatch.StartNew();
        await sync.SetSuspendedAsync(appId, new AppQuotas(), suspended: true, version: 2);
        await EndsWithAsync(socket, "app-suspended", workspaceId, since);
    }

    [Fact]
    public async Task an_expiring_token_ends_the_subscription_at_its_expiry()
    {
        var (workspaceId, _, _) = await sync.NewWorkspaceAsync();
        var expires = DateTimeOffset.UtcNow.AddSeconds(2);
        var (_, _, token) = sync.NewMember(workspaceId, "read", expires: expires);
        await using var socket = await SubscribedAsync(workspaceId, token);
        var since = Stopwatch.StartNew();
        await EndsWithAsync(socket, "revoked", workspaceId, since);
        TestContext.Current.TestOutputHelper?.WriteLine($"{(DateTimeOffset.UtcNow - expires).TotalMilliseconds:0} ms after the token's exp");
    }
}
