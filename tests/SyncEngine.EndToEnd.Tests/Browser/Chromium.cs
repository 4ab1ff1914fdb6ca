using Microsoft.Playwright;
using Xunit;

namespace SyncEngine.EndToEnd.Tests.Browser;

/// <summary>
/// One headless Chromium for the browser tests: the system's own (Debian's `chromium` package), driven by Playwright,
/// which cannot download browsers here. `CHROMIUM_PATH` picks another binary.
/// </summary>
public sealed class Chromium : IAsyncLifetime
{
    private static readonly string[] Candidates =
        ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome", "/usr/bin/google-chrome-stable"];

    private IPlaywright? _playwright;

    public IBrowser Browser { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        var path = Environment.GetEnvironmentVariable("CHROMIUM_PATH") is { Length: > 0 } configured
            ? configured
            : Candidates.FirstOrDefault(File.Exists)
              ?? throw new InvalidOperationException(
                  "The browser tests need Chromium: `apt-get install chromium` (Debian), or set CHROMIUM_PATH to a Chromium or Chrome binary.");
        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = path,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking"],
        });
    }

    public async ValueTask DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.CloseAsync();
        }

        _playwright?.Dispose();
    }
}
