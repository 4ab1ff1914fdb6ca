using SyncEngine.Testing;
using Xunit;

namespace SyncEngine.EndToEnd.Tests;

[Collection(SyncEngineCollection.Name)]
public sealed class WolverineMetricsTests(SyncEngineApp app)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task wolverine_message_metrics_reach_the_services_metrics_endpoint()
    {
        // A claim sends Auth a WorkspaceClaimed and an IssueMasterToken: Wolverine in Auth counts both.
        await app.NewWorkspaceAsync(Ct);

        using var auth = app.CreateServiceClient("auth");
        var wolverineLines = await Eventually.Until(async token =>
            {
                var text = await auth.GetStringAsync("/metrics", token);
                return text.Split('\n').Where(line => line.StartsWith("wolverine_", StringComparison.Ordinal)).ToList();
            },
            lines => lines.Any(l => l.StartsWith("wolverine_messages_received", StringComparison.Ordinal)), TimeSpan.FromSeconds(20), Ct);

        Assert.Contains(wolverineLines, l => l.StartsWith("wolverine_messages_received", StringComparison.Ordinal));
    }
}
