using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using SyncEngine.Client;
using Xunit;

namespace SyncEngine.EndToEnd.Tests;

/// <summary>
/// An app's change is in force on every service and replica within 1 s: each keeps its own directory, fed by
/// AppSettingsChanged and the NOTIFY of its commit. Read on each process's own port (/internal/apps/{appId}). The test
/// app reloads directories on its timer only every hour (Apps:RefreshEvery), so a change seen here came by the NOTIFY
/// path, the one that keeps the 1 s; the times are reported rather than asserted, since a loaded CI machine is no
/// measure of them.
/// </summary>
[Collection(SyncEngineCollection.Name)]
public sealed class AppDirectoryTests(SyncEngineApp app)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task a_registration_and_a_change_reach_workspace_auth_and_every_sync_replica_by_notification()
    {
        var token = await app.OperatorTokenAsync(Ct);
        var appId = $"dir-{Guid.NewGuid():N}"[..16];
        var directories = await DirectoriesAsync();
        Assert.True(directories.Count >= 4, $"expected workspace, auth and two sync replicas, found {directories.Count}");

        var registeredAt = Stopwatch.StartNew();
        await app.Api.RegisterAppAsync(token, new AppSettings(appId, "Directory test"), Ct);
        await AssertEverywhereAsync(directories, appId, registeredAt, known => known.GetProperty("version").GetInt64() >= 1);

        var changedAt = Stopwatch.StartNew();
        await app.Api.ChangeAppAsync(token, appId, JsonNode.Parse("""{"maxSchemaVersion": 5, "suspended": true}""")!.AsObject(), Ct);
        await AssertEverywhereAsync(directories, appId, changedAt, known =>
            known.GetProperty("settings").GetProperty("maxSchemaVersion").GetInt32() == 5
            && known.GetProperty("settings").GetProperty("suspended").GetBoolean());
    }

    [Fact]
    public async Task every_process_knows_the_default_app_and_its_name()
    {
        foreach (var (name, http) in await DirectoriesAsync())
        {
            using var response = await http.GetAsync($"/internal/apps/{SyncEngineApp.DefaultApp}", Ct);
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{name}: {(int)response.StatusCode}");
            var known = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
            Assert.Equal(SyncEngineApp.DefaultApp, known.GetProperty("defaultAppId").GetString());
            Assert.Equal("open", known.GetProperty("settings").GetProperty("claimPolicy").GetString());
        }
    }

    private async Task<List<(string Name, HttpClient Http)>> DirectoriesAsync()
    {
        var directories = new List<(string, HttpClient)>
        {
            ("workspace", app.CreateServiceClient("workspace")),
            ("auth", app.CreateServiceClient("auth")),
        };
        foreach (var replica in await app.SyncReplicaAddressesAsync(Ct))
        {
            directories.Add(($"sync {replica}", new HttpClient { BaseAddress = replica }));
        }

        return directories;
    }

    /// <summary>Polls every process at once, closely, and records when each first shows the change.</summary>
    private static async Task AssertEverywhereAsync(
        IReadOnlyList<(string Name, HttpClient Http)> directories, string appId, Stopwatch since, Func<JsonElement, bool> changed)
    {
        var seenAfter = await Task.WhenAll(directories.Select(async directory =>
        {
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(Ct);
            deadline.CancelAfter(TimeSpan.FromSeconds(10));
            using var poll = new PeriodicTimer(TimeSpan.FromMilliseconds(20));
            do
            {
                using var response = await directory.Http.GetAsync($"/internal/apps/{appId}", Ct);
                if (response.StatusCode == HttpStatusCode.OK && changed(await response.Content.ReadFromJsonAsync<JsonElement>(Ct)))
                {
                    return (directory.Name, Elapsed: since.Elapsed);
                }
            }
            while (await NextAsync(poll, deadline.Token));

            return (directory.Name, Elapsed: TimeSpan.MaxValue);
        }));

        var seen = string.Join(", ", seenAfter.Select(s =>
            $"{s.Name} {(s.Elapsed == TimeSpan.MaxValue ? "never" : $"{s.Elapsed.TotalMilliseconds:F0} ms")}"));
        TestContext.Current.TestOutputHelper?.WriteLine("in force after: " + seen);
        Assert.True(seenAfter.All(s => s.Elapsed != TimeSpan.MaxValue), "not in force everywhere: " + seen);
    }

    private static async Task<bool> NextAsync(PeriodicTimer poll, CancellationToken deadline)
    {
        try
        {
            return await poll.WaitForNextTickAsync(deadline);
        }
        catch (OperationCanceledException) when (!Ct.IsCancellationRequested)
        {
            return false;
        }
    }
}
