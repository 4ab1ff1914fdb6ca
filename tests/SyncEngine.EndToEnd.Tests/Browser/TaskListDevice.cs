using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace SyncEngine.EndToEnd.Tests.Browser;

/// <summary>
/// One device using the demo's second app, the task lists at /tasks/ (its own app on the server, its own IndexedDB):
/// an isolated browser context. Methods say what a user does; selectors live here only.
/// </summary>
public sealed partial class TaskListDevice : IAsyncDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(15);
    private readonly IBrowserContext _context;
    private readonly List<string> _errors = [];

    private TaskListDevice(IBrowserContext context, IPage page)
    {
        _context = context;
        Page = page;
        page.PageError += (_, error) => _errors.Add(error);
    }

    public IPage Page { get; }

    /// <summary>Uncaught errors the page reported; a test ends by asserting there were none.</summary>
    public IReadOnlyList<string> Errors => _errors;

    public Guid WorkspaceId => Guid.Parse(ListUrl().Match(Page.Url).Groups[1].Value);

    /// <param name="transport">"http" keeps the page on HTTP and event streams (<c>?transport=http</c>); either way the
    /// page must report the transport it was given once its worker chose one.</param>
    public static async Task<TaskListDevice> OpenAsync(IBrowser browser, Uri gateway, string transport = "socket")
    {
        var context = await browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = gateway.ToString(), ViewportSize = new() { Width = 1100, Height = 760 } });
        context.SetDefaultTimeout((float)Patience.TotalMilliseconds);
        var page = await context.NewPageAsync();
        await page.GotoAsync(transport == "http" ? "/tasks/?transport=http" : "/tasks/");
        await Expect(page.GetByTestId("device-id")).ToBeVisibleAsync();
        await Expect(page.Locator("html")).ToHaveAttributeAsync("data-sync-ready", "true");
        await Expect(page.Locator("html")).ToHaveAttributeAsync("data-sync-transport", transport);
        return new TaskListDevice(context, page);
    }

    public async Task<Guid> CreateListAsync(string name)
    {
        await Page.GetByTestId("new-list-name").FillAsync(name);
        await Page.GetByTestId("create-list").ClickAsync();
        await Expect(Page).ToHaveURLAsync(ListUrl());
        await Expect(Page.GetByTestId("list-title")).ToHaveTextAsync(name);
        return WorkspaceId;
    }

    public async Task AddTaskAsync(string text)
    {
        await Page.GetByTestId("task-text").FillAsync(text);
        await Page.GetByTestId("add-task").ClickAsync();
        await Expect(Task(text)).ToHaveCountAsync(1);
        // Stored on the device too (see Device.AddMealAsync): a "settled" check must not pass before the edit was pushed.
        await Expect(Page.GetByTestId("task-text")).ToHaveValueAsync("");
    }

    public async Task CheckAsync(string text)
    {
        await Task(text).GetByTestId("task-done").CheckAsync();
        await Expect(Task(text)).ToHaveAttributeAsync("data-done", "true");
    }

    public Task SyncNowAsync() => Page.GetByTestId("sync-now").ClickAsync();

    public Task ExpectSyncStateAsync(string state, TimeSpan? within = null) =>
        Expect(Page.GetByTestId("sync-status")).ToHaveAttributeAsync("data-state", state,
            new() { Timeout = (float)(within ?? Patience).TotalMilliseconds });

    /// <summary>Everything local reached the server: synced and nothing pending.</summary>
    public Task ExpectSettledAsync(TimeSpan? within = null) => Device.ExpectSettledAsync(Page, "syncengine-task-lists", WorkspaceId, within ?? Patience);

    public Task<string> SyncStatusTextAsync() => Page.GetByTestId("sync-status").InnerTextAsync();

    public Task<int> PendingCountAsync() => Page.GetByTestId("pending-count").CountAsync();

    /// <summary>The list's token as this device keeps it (read straight from IndexedDB).</summary>
    public async Task<string?> TokenAsync(Guid workspaceId) =>
        JsonSerializer.Deserialize<List<StoredWorkspace>>(
            await Device.ReadStoreAsync(Page, "syncengine-task-lists", "workspaces", workspaceId), JsonSerializerOptions.Web)!
            .FirstOrDefault()?.Token;

    public Task ScreenshotAsync(string name) => Device.ScreenshotAsync(Page, name);

    public async ValueTask DisposeAsync() => await _context.CloseAsync();

    private ILocator Task(string text) =>
        Page.GetByTestId("task").Filter(new() { Has = Page.GetByTestId("task-row-text").Filter(new() { HasTextRegex = new Regex($"^{Regex.Escape(text)}$") }) });

    [GeneratedRegex(@"/tasks/l/([0-9a-f-]{36})$")]
    private static partial Regex ListUrl();
}
