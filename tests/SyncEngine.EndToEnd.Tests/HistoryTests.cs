using System.Text.Json;
using SyncEngine.Testing;
using Xunit;

namespace SyncEngine.EndToEnd.Tests;

[Collection(SyncEngineCollection.Name)]
public sealed class HistoryTests(SyncEngineApp app)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task each_history_entry_says_when_and_which_client_acted()
    {
        var start = DateTimeOffset.UtcNow.AddSeconds(-5);
        var (workspaceId, owner, master) = await app.NewWorkspaceAsync(Ct);
        var (client, _) = await app.NewMemberAsync(workspaceId, master, "read", Ct);
        await app.Api.RevokeAsync(master, workspaceId, client, Ct);

        // Workspace records grants and revocations from Auth's messages, a few milliseconds behind.
        var history = await Eventually.Until(async t => (await app.Api.GetHistoryAsync(master, workspaceId, t)).EnumerateArray().ToList(),
            entries => entries.Count == 3, TimeSpan.FromSeconds(10), Ct);

        Assert.Equal(["created", "granted", "revoked"], history.Select(e => e.GetProperty("type").GetString()));
        Assert.All(history, e => Assert.Equal(owner, e.GetProperty("actor").GetGuid()));
        var times = history.Select(e => e.GetProperty("at").GetDateTimeOffset()).ToList();
        Assert.All(times, at => Assert.InRange(at, start, DateTimeOffset.UtcNow.AddSeconds(5)));
        Assert.Equal(times.Order(), times);
        Assert.Equal(JsonValueKind.Null, history[0].GetProperty("clientId").ValueKind);
        Assert.Equal([client, client], history.Skip(1).Select(e => e.GetProperty("clientId").GetGuid()));
        Assert.Equal("read", history[1].GetProperty("scope").GetString());
    }
}
