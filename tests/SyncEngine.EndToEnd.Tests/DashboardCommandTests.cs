using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace SyncEngine.EndToEnd.Tests;

/// <summary>The resource commands an operator clicks in the dashboard, run through Aspire's own command service.</summary>
[Collection(SyncEngineCollection.Name)]
public sealed class DashboardCommandTests(SyncEngineApp app)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task add_signing_key_on_auth_adds_a_pending_key_through_the_admin_api()
    {
        var admin = await app.OperatorTokenAsync(Ct);
        var before = (await app.Api.ListSigningKeysAsync(admin, Ct)).Select(k => k.Kid).ToHashSet();

        var result = await app.App.Services.GetRequiredService<ResourceCommandService>()
            .ExecuteCommandAsync("auth", SyncEngine.AppHost.OperatorCommands.AddSigningKey, Ct);

        Assert.True(result.Success, result.Message);
        var added = Assert.Single(await app.Api.ListSigningKeysAsync(admin, Ct), k => !before.Contains(k.Kid));
        Assert.Equal("pending", added.State);
        Assert.Contains(added.Kid, result.Message, StringComparison.Ordinal);
        // Leave the ring as it was for the other journeys.
        await app.Api.RetireSigningKeyAsync(admin, added.Kid, Ct);
    }
}
