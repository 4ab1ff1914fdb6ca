using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using SyncEngine.Testing;
using static Microsoft.Playwright.Assertions;

namespace SyncEngine.EndToEnd.Tests.Browser;

/// <summary>
/// One device using the demo app: an isolated browser context (its own IndexedDB, its own clientId) on the gateway.
/// Methods say what a user does; selectors live here only.
/// </summary>
public sealed partial class Device : IAsyncDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(15);
    private readonly IBrowserContext _context;
    private readonly List<string> _errors = [];

    private Device(IBrowserContext context, IPage page)
    {
        _context = context;
        Page = page;
        page.PageError += (_, error) => _errors.Add(error);
        page.Console += (_, message) => _console.Add($"{message.Type}: {message.Text}");
        page.RequestFailed += (_, request) => _console.Add($"request failed: {request.Method} {request.Url} {request.Failure}");
    }

    private readonly List<string> _console = [];

    /// <summary>What the page said (console, failed requests), for a failure message.</summary>
    public string Diagnostics => $"url {Page.Url}; errors [{string.Join(" | ", _errors)}]; console [{string.Join(" | ", _console.TakeLast(20))}]";

    public IPage Page { get; }
    public Guid ClientId { get; private set; }

    /// <summary>Uncaught errors the page reported; a test ends by asserting there were none.</summary>
    public IReadOnlyList<string> Errors => _errors;

    /// <summary>The transport the page must report once its worker chose one ("socket" or "http"); null: not checked.</summary>
    private string? _transport;

    public static async Task<Device> OpenAsync(IBrowser browser, Uri gateway, string query = "", string? transport = null)
    {
        var context = await browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = gateway.ToString(), ViewportSize = new() { Width = 1100, Height = 760 } });
        context.SetDefaultTimeout((float)Patience.TotalMilliseconds);
        var page = await context.NewPageAsync();
        var device = new Device(context, page) { _transport = transport };
        await page.GotoAsync("/" + query);
        await device.WaitUntilReadyAsync();
        device.ClientId = Guid.Parse((await page.GetByTestId("device-id").TextContentAsync())!);
        return device;
    }

    /// <summary>The app has rendered and its sync worker runs (so going offline now cannot stop it loading).</summary>
    public async Task WaitUntilReadyAsync()
    {
        await Expect(Page.GetByTestId("device-id")).ToBeVisibleAsync();
        await Expect(Page.Locator("html")).ToHaveAttributeAsync("data-sync-ready", "true");
        if (_transport is { } transport)
        {
            await Expect(Page.Locator("html")).ToHaveAttributeAsync("data-sync-transport", transport);
        }
    }

    public Task GoOfflineAsync() => _context.SetOfflineAsync(true);
    public Task GoOnlineAsync() => _context.SetOfflineAsync(false);

    public async Task<Guid> CreateJournalAsync(string name)
    {
        // In-app navigation, not a page load: this works offline too.
        await Page.GetByRole(AriaRole.Link, new() { Name = "Meal journal" }).ClickAsync();
        await Page.GetByTestId("new-journal-name").FillAsync(name);
        await Page.GetByTestId("create-journal").ClickAsync();
        await ExpectJournalOpenAsync("Creating a journal");
        await Expect(Page.GetByTestId("journal-title")).ToHaveTextAsync(name);
        return WorkspaceId;
    }

    /// <summary>
    /// The app moved to a journal's page. Polled: WaitForURLAsync can miss an in-app (pushState) navigation that lands
    /// between its URL check and its event subscription, and then waits for one that never comes.
    /// </summary>
    private async Task ExpectJournalOpenAsync(string action)
    {
        try
        {
            await Expect(Page).ToHaveURLAsync(JournalUrl());
        }
        catch (PlaywrightException e)
        {
            throw new Xunit.Sdk.XunitException($"{action} did not open the journal: {Diagnostics}", e);
        }
    }

    public Guid WorkspaceId => Guid.Parse(JournalUrl().Match(Page.Url).Groups[1].Value);

    public async Task OpenJournalAsync(Guid workspaceId)
    {
        await Page.GotoAsync($"/w/{workspaceId}");
        await WaitUntilReadyAsync();
        await Expect(Page.GetByTestId("sync-status")).ToBeVisibleAsync();
    }

    public async Task AddMealAsync(string name, int calories)
    {
        await Page.GetByTestId("meal-name").FillAsync(name);
        await Page.GetByTestId("meal-calories").FillAsync(calories.ToString(System.Globalization.CultureInfo.InvariantCulture));
        await Page.GetByTestId("add-meal").ClickAsync();
        await Expect(Page.GetByTestId("meal-row-name").Filter(new() { HasTextRegex = new Regex($"^{Regex.Escape(name)}$") })).ToHaveCountAsync(1);
        // Stored on the device too: the form clears once the edit is in the pending store. The row shows from the open
        // document a moment before, and a "settled" check in that moment would pass before the edit was ever pushed.
        await Expect(Page.GetByTestId("meal-name")).ToHaveValueAsync("");
    }

    public async Task<string[]> MealsAsync() =>
        [.. (await Page.GetByTestId("meal-row-name").AllTextContentsAsync()).Order(StringComparer.Ordinal)];

    /// <summary>Waits until the journal on screen lists exactly these meals, in any order; fails with what it shows.</summary>
    public async Task ExpectMealsAsync(TimeSpan within, params string[] meals)
    {
        try
        {
            await Page.WaitForFunctionAsync(
                """
                (expected) => {
                  const shown = [...document.querySelectorAll("[data-testid=meal-row-name]")].map((e) => e.textContent).sort();
                  return JSON.stringify(shown) === JSON.stringify([...expected].sort());
                }
                """, meals, new() { Timeout = (float)within.TotalMilliseconds, PollingInterval = 50 });
        }
        catch (TimeoutException)
        {
            throw new Xunit.Sdk.XunitException(
                $"Within {within.TotalSeconds} s the journal did not show exactly [{string.Join(", ", meals)}]; it shows [{string.Join(", ", await MealsAsync())}] and its status is: {await SyncStatusTextAsync()}");
        }
    }

    public Task ExpectSyncStateAsync(string state, TimeSpan? within = null) =>
        Expect(Page.GetByTestId("sync-status")).ToHaveAttributeAsync("data-state", state,
            new() { Timeout = (float)(within ?? Patience).TotalMilliseconds });

    /// <summary>
    /// Everything local reached the server: synced and nothing pending. "synced" alone can be the state from before the
    /// last edit, whose push waits for the debounce.
    /// </summary>
    public Task ExpectSettledAsync(TimeSpan? within = null) => ExpectSettledAsync(Page, "syncengine-meal-journal", WorkspaceId, within ?? Patience);

    /// <summary>
    /// Nothing of the workspace waits in the app's pending store and the page shows it synced. The store, not the
    /// page's badge: the badge follows the store a moment late, and a push over the socket can be acknowledged before
    /// the badge ever showed the change.
    /// </summary>
    public static async Task ExpectSettledAsync(IPage page, string database, Guid workspaceId, TimeSpan within)
    {
        var (pending, state) = await SyncEngine.Testing.Eventually.Until(
            async _ => (await ReadStoreAsync(page, database, "pending", workspaceId), await page.GetByTestId("sync-status").GetAttributeAsync("data-state")),
            seen => seen.Item1 == "[]" && seen.Item2 == "synced", within, CancellationToken.None);
        if (pending != "[]" || state != "synced")
        {
            throw new Xunit.Sdk.XunitException($"Within {within.TotalSeconds} s the workspace did not settle: pending {pending}, state {state}");
        }
    }

    public Task<string> SyncStatusTextAsync() => Page.GetByTestId("sync-status").InnerTextAsync();

    public async Task<int> PendingChangesAsync() =>
        await Page.GetByTestId("pending-count").CountAsync() == 0
            ? 0
            : int.Parse(PendingCount().Match(await Page.GetByTestId("pending-count").InnerTextAsync()).Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Opens the share page and creates an invite link for <paramref name="guest"/>.</summary>
    public async Task<string> InviteAsync(Guid guest, string scope = "read_write")
    {
        await OpenShareAsync();
        await Page.GetByTestId("invite-client-id").FillAsync(guest.ToString());
        await Page.GetByTestId("invite-scope").SelectOptionAsync(scope);
        await Page.GetByTestId("create-invite").ClickAsync();
        // The new invite's row: pending. A guest granted before (and revoked) keeps its earlier row beside it.
        await Expect(Page.Locator($"[data-testid=token][data-client-id='{guest}'][data-status='pending']")).ToHaveCountAsync(1);
        return await Page.GetByTestId("invite-link").InputValueAsync();
    }

    public async Task OpenShareAsync()
    {
        await Page.GetByTestId("share").ClickAsync();
        await Expect(Page.GetByTestId("tokens")).ToBeVisibleAsync();
        await Expect(Page.GetByTestId("create-invite")).ToBeEnabledAsync();
    }

    public async Task RevokeAsync(Guid guest)
    {
        var row = Page.Locator($"[data-testid=token][data-client-id='{guest}']");
        await row.GetByTestId("revoke").ClickAsync();
        await Expect(row).ToHaveAttributeAsync("data-status", "revoked");
    }

    /// <summary>Follows a join link as a user would (pasting it into the address bar) and lands on the journal.</summary>
    public async Task JoinAsync(string link)
    {
        await Page.GotoAsync(link);
        await ExpectJournalOpenAsync("Joining");
        await WaitUntilReadyAsync();
    }

    public async Task SyncNowAsync() => await Page.GetByTestId("sync-now").ClickAsync();

    /// <summary>What this device's local store holds for a workspace (read straight from IndexedDB).</summary>
    public async Task<StoredWorkspace?> StoredAsync(Guid workspaceId) =>
        JsonSerializer.Deserialize<List<StoredWorkspace>>(await ReadStoreAsync("workspaces", workspaceId), JsonSerializerOptions.Web)!
            .FirstOrDefault();

    /// <summary>The pending changes IndexedDB holds for a workspace (bytes as their length), for a failure message.</summary>
    public Task<string> PendingSummaryAsync(Guid workspaceId) => ReadStoreAsync("pending", workspaceId);

    private Task<string> ReadStoreAsync(string store, Guid workspaceId) => ReadStoreAsync(Page, "syncengine-meal-journal", store, workspaceId);

    /// <summary>A store's rows of one workspace in an app's IndexedDB database, as JSON, byte arrays replaced by their length.</summary>
    public static Task<string> ReadStoreAsync(IPage page, string database, string store, Guid workspaceId) =>
        page.EvaluateAsync<string>(
            """
            ({ database, store, id }) => new Promise((resolve, reject) => {
              const open = indexedDB.open(database);
              open.onerror = () => reject(open.error);
              open.onsuccess = () => {
                const db = open.result;
                const read = db.transaction(store).objectStore(store).getAll();
                read.onsuccess = () => {
                  db.close();
                  const rows = read.result.filter((row) => row.workspaceId === id);
                  resolve(JSON.stringify(rows, (_, value) => value instanceof Uint8Array ? value.byteLength : value));
                };
                read.onerror = () => reject(read.error);
              };
            })
            """, new { database, store, id = workspaceId.ToString() });

    /// <summary>Saves the page to docs/screenshots/{name}.png.</summary>
    public static Task ScreenshotAsync(IPage page, string name)
    {
        var directory = Path.Combine(Repository.Root, "docs", "screenshots");
        Directory.CreateDirectory(directory);
        return page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(directory, $"{name}.png"), FullPage = true });
    }

    public Task ScreenshotAsync(string name) => ScreenshotAsync(Page, name);

    public async ValueTask DisposeAsync() => await _context.CloseAsync();

    [GeneratedRegex(@"/w/([0-9a-f-]{36})$")]
    private static partial Regex JournalUrl();

    [GeneratedRegex(@"(\d+) local change")]
    private static partial Regex PendingCount();
}

/// <summary>A workspace row of the demo's IndexedDB, as the page read it.</summary>
public sealed class StoredWorkspace
{
    public string? Token { get; set; }
    public string State { get; set; } = "";
    public string? Scope { get; set; }
}
