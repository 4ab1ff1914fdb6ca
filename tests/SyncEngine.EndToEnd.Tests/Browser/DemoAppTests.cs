using System.Diagnostics;
using System.Text;
using SyncEngine.Testing;
using Xunit;

namespace SyncEngine.EndToEnd.Tests.Browser;

/// <summary>The demo app's journeys with live changes over the realtime channel (the library's default).</summary>
[Collection(SyncEngineCollection.Name)]
public sealed class DemoAppOverSocketTests(SyncEngineApp app, Chromium chromium, ITestOutputHelper output)
    : DemoAppTests(app, chromium, output, "socket"), IClassFixture<Chromium>;

/// <summary>The same journeys on HTTP and event streams: the library's fallback where a WebSocket cannot be opened.</summary>
[Collection(SyncEngineCollection.Name)]
public sealed class DemoAppOverHttpTests(SyncEngineApp app, Chromium chromium, ITestOutputHelper output)
    : DemoAppTests(app, chromium, output, "http"), IClassFixture<Chromium>;

/// <summary>
/// The demo app in real Chromium against the whole system through the gateway. Each device is its own browser
/// context: its own IndexedDB, clientId and sync worker. The run saves screenshots of the main screens to
/// docs/screenshots/. Run once per transport (the subclasses above); each device checks it synced over that one.
/// </summary>
public abstract class DemoAppTests(SyncEngineApp app, Chromium chromium, ITestOutputHelper output, string transport)
{
    private static readonly TimeSpan Reconnect = TimeSpan.FromSeconds(20);
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private Task<Device> DeviceAsync(string query = "") =>
        Device.OpenAsync(chromium.Browser, app.Gateway.BaseAddress!, transport == "http" ? (query == "" ? "?" : query + "&") + "transport=http" : query, transport);

    [Fact]
    public async Task a_journal_created_offline_reaches_the_server_once_the_device_is_online()
    {
        await using var a = await DeviceAsync();
        await a.GoOfflineAsync();
        var workspaceId = await a.CreateJournalAsync("Offline breakfasts");
        await a.AddMealAsync("Porridge", 350);
        await a.AddMealAsync("Coffee", 5);

        await a.ExpectSyncStateAsync("offline");
        Assert.True(await a.PendingChangesAsync() > 0, "edits made offline wait in the pending store");
        Assert.Null((await a.StoredAsync(workspaceId))!.Token); // never claimed: the server has not heard of it
        await a.ScreenshotAsync("journal-offline");

        await a.GoOnlineAsync();
        await a.ExpectSettledAsync(Reconnect);

        var master = (await a.StoredAsync(workspaceId))!.Token!;
        var workspace = await app.Api.GetWorkspaceAsync(master, workspaceId, Ct);
        Assert.Equal(a.ClientId, workspace.GetProperty("ownerClientId").GetGuid());
        var pulled = await app.Api.PullAsync(master, workspaceId, 0, Ct);
        Assert.NotEmpty(pulled.Frames);
        Assert.All(pulled.Frames, f => Assert.Equal("loro", Encoding.ASCII.GetString(f.Data, 0, 4)));

        // A device that never saw it offline gets the meals from the server alone.
        await using var b = await DeviceAsync();
        await b.JoinAsync(await a.InviteAsync(b.ClientId));
        await b.ExpectMealsAsync(Reconnect, "Coffee", "Porridge");
        Assert.Empty(a.Errors.Concat(b.Errors));
    }

    [Fact]
    public async Task an_invited_device_joins_by_link_sees_the_journal_and_its_edits_reach_the_owner_live()
    {
        await using var a = await DeviceAsync();
        await using var b = await DeviceAsync();
        var workspaceId = await a.CreateJournalAsync("Family meals");
        await a.AddMealAsync("Toast", 200);
        await a.ExpectSettledAsync();

        var link = await a.InviteAsync(b.ClientId);
        Assert.StartsWith($"{app.Gateway.BaseAddress}join/{workspaceId}#", link);
        await a.ScreenshotAsync("share");
        await b.JoinAsync(link);
        await b.ExpectMealsAsync(Reconnect, "Toast");
        await b.ExpectSyncStateAsync("synced");

        await a.OpenJournalAsync(workspaceId);
        await a.Page.EvaluateAsync("() => { window.sameDocument = true; }");
        var added = Stopwatch.StartNew();
        await b.AddMealAsync("Apple", 80);
        await a.ExpectMealsAsync(TimeSpan.FromSeconds(2), "Apple", "Toast");
        output.WriteLine($"B's meal appeared on A after {added.ElapsedMilliseconds} ms");
        Assert.True(await a.Page.EvaluateAsync<bool>("() => window.sameDocument === true"), "A's page reloaded");

        await a.ScreenshotAsync("journal");
        await a.Page.GotoAsync("/");
        await a.ScreenshotAsync("home");
        Assert.Empty(a.Errors.Concat(b.Errors));
    }

    [Fact]
    public async Task two_devices_editing_offline_converge_when_they_reconnect()
    {
        await using var a = await DeviceAsync();
        await using var b = await DeviceAsync();
        var workspaceId = await a.CreateJournalAsync("Week plan");
        await a.AddMealAsync("Eggs", 150);
        await b.JoinAsync(await a.InviteAsync(b.ClientId));
        await b.ExpectMealsAsync(Reconnect, "Eggs");
        await a.OpenJournalAsync(workspaceId);

        await a.GoOfflineAsync();
        await b.GoOfflineAsync();
        await a.AddMealAsync("Soup", 300);
        await a.AddMealAsync("Bread", 250);
        await b.AddMealAsync("Pasta", 600);
        await b.Page.GetByRole(Microsoft.Playwright.AriaRole.Button, new() { Name = "Remove Eggs" }).ClickAsync();
        await a.ExpectSyncStateAsync("offline");
        await b.ExpectSyncStateAsync("offline");
        await a.ExpectMealsAsync(TimeSpan.FromSeconds(1), "Bread", "Eggs", "Soup");
        await b.ExpectMealsAsync(TimeSpan.FromSeconds(1), "Pasta");

        await a.GoOnlineAsync();
        await b.GoOnlineAsync();
        string[] merged = ["Bread", "Pasta", "Soup"];
        await a.ExpectMealsAsync(Reconnect, merged);
        await b.ExpectMealsAsync(Reconnect, merged);
        await a.ExpectSyncStateAsync("synced", Reconnect);
        await b.ExpectSyncStateAsync("synced", Reconnect);

        // What converged is stored, not just on screen: a reload rebuilds it from IndexedDB.
        await b.Page.ReloadAsync();
        await b.WaitUntilReadyAsync();
        await b.ExpectMealsAsync(Reconnect, merged);
        Assert.Empty(a.Errors.Concat(b.Errors));
    }

    [Fact]
    public async Task a_revoked_device_keeps_its_edits_shows_it_lost_access_and_the_owner_never_gets_them()
    {
        await using var a = await DeviceAsync();
        await using var b = await DeviceAsync();
        var workspaceId = await a.CreateJournalAsync("Team lunches");
        await b.JoinAsync(await a.InviteAsync(b.ClientId));
        await b.AddMealAsync("Salad", 300);
        await a.OpenJournalAsync(workspaceId);
        await a.ExpectMealsAsync(Reconnect, "Salad");
        var master = (await a.StoredAsync(workspaceId))!.Token!;
        var head = (await app.Api.PullAsync(master, workspaceId, 0, Ct)).Head;

        await a.OpenShareAsync();
        await a.RevokeAsync(b.ClientId);
        await b.ExpectSyncStateAsync("access-lost", TimeSpan.FromSeconds(5));

        await b.AddMealAsync("Secret cake", 900);
        await b.SyncNowAsync();
        await b.ExpectSyncStateAsync("access-lost");
        Assert.Equal(1, await b.PendingChangesAsync());
        Assert.Contains("revoked", await b.SyncStatusTextAsync(), StringComparison.OrdinalIgnoreCase);
        await b.ScreenshotAsync("access-lost");

        // The edit stays on B, across a reload, and never reaches the server or A.
        await b.Page.ReloadAsync();
        await b.WaitUntilReadyAsync();
        await b.ExpectMealsAsync(TimeSpan.FromSeconds(5), "Salad", "Secret cake");
        await b.ExpectSyncStateAsync("access-lost");
        Assert.Equal(head, (await app.Api.PullAsync(master, workspaceId, 0, Ct)).Head);
        await a.OpenJournalAsync(workspaceId);
        await a.SyncNowAsync();
        await a.ExpectSyncStateAsync("synced");
        Assert.Equal(["Salad"], await a.MealsAsync());

        // Granted again, B syncs what it kept.
        await b.JoinAsync(await a.InviteAsync(b.ClientId));
        await b.ExpectSyncStateAsync("synced", Reconnect);
        await a.OpenJournalAsync(workspaceId);
        await a.ExpectMealsAsync(Reconnect, "Salad", "Secret cake");
        Assert.Empty(a.Errors.Concat(b.Errors));
    }

    [Fact]
    public async Task a_device_on_an_older_schema_is_refused_and_told_to_update()
    {
        await using var a = await DeviceAsync();
        await using var old = await DeviceAsync("?schemaVersion=1");
        await Microsoft.Playwright.Assertions.Expect(old.Page.GetByTestId("old-app")).ToBeVisibleAsync();
        var workspaceId = await a.CreateJournalAsync("Versioned");
        await a.AddMealAsync("Rice", 400);
        await a.ExpectSettledAsync();
        var master = (await a.StoredAsync(workspaceId))!.Token!;
        var head = (await app.Api.PullAsync(master, workspaceId, 0, Ct)).Head;

        await old.JoinAsync(await a.InviteAsync(old.ClientId));
        await old.ExpectMealsAsync(Reconnect, "Rice");
        await old.ExpectSyncStateAsync("update-required");

        await old.AddMealAsync("Old-style meal", 100);
        await old.SyncNowAsync();
        await Microsoft.Playwright.Assertions.Expect(old.Page.GetByTestId("sync-detail")).ToContainTextAsync("refused");
        await old.ExpectSyncStateAsync("update-required");
        Assert.True(await old.PendingChangesAsync() == 1, $"pending on the old device: {await old.PendingSummaryAsync(workspaceId)}");
        Assert.Equal(head, (await app.Api.PullAsync(master, workspaceId, 0, Ct)).Head);
        await old.ScreenshotAsync("update-required");
        Assert.Empty(a.Errors.Concat(old.Errors));
    }

    [Fact]
    public async Task updating_the_app_migrates_an_older_journal_and_syncs_the_migration()
    {
        await using var device = await DeviceAsync("?schemaVersion=1");
        var workspaceId = await device.CreateJournalAsync("Before kinds");
        await device.AddMealAsync("Lasagne", 700);
        await device.ExpectSettledAsync();
        var master = (await device.StoredAsync(workspaceId))!.Token!;
        var head = (await app.Api.PullAsync(master, workspaceId, 0, Ct)).Head;

        // The same device with the new app (the version pin is per tab session).
        await device.Page.GotoAsync($"/w/{workspaceId}?schemaVersion=2");
        await device.WaitUntilReadyAsync();
        await Microsoft.Playwright.Assertions.Expect(device.Page.GetByTestId("meal").First.Locator("td").Nth(1))
            .ToHaveTextAsync(new System.Text.RegularExpressions.Regex("^(breakfast|lunch|dinner|snack)$"));
        var after = await Eventually.Until(token => app.Api.PullAsync(master, workspaceId, head, token), p => p.Head > head, Reconnect, Ct);
        Assert.True(after.Head > head, "the migration was not pushed");
        Assert.Equal(2, after.SchemaVersion);
        Assert.Empty(device.Errors);
    }
}
