using System.Text.Json;
using Xunit;

namespace SyncEngine.ClientWeb.Tests;

/// <summary>
/// One Vitest run of every file of the sync library, with its JSON report, which <see cref="WebClientChecks"/> reads
/// file by file. A run per file started Vitest (Vite, its transforms, a worker pool) twelve times: about 25 s of CPU
/// against 5 s for one run.
/// </summary>
public sealed class VitestRun : IAsyncLifetime
{
    private readonly string _report = Path.Combine(Path.GetTempPath(), $"syncengine-vitest-{Guid.NewGuid():N}.json");

    public int ExitCode { get; private set; }

    /// <summary>Vitest's verbose report of the whole run.</summary>
    public string Output { get; private set; } = "";

    /// <summary>Each file's result by its path under src/Client.Web, as <see cref="WebClientChecks.VitestFiles"/> names it.</summary>
    public IReadOnlyDictionary<string, FileResult> Files { get; private set; } = new Dictionary<string, FileResult>();

    public sealed record FileResult(string Status, string Message, IReadOnlyList<(string Name, string Status, string Failure)> Tests);

    public async ValueTask InitializeAsync()
    {
        var script = Path.Combine(WebClientChecks.ClientWeb, "node_modules/vitest/vitest.mjs");
        Assert.True(File.Exists(script), $"{script} is missing: run `npm ci` in src/Client.Web first (.ci/run does).");
        (ExitCode, Output) = await Node.RunCapturedAsync(WebClientChecks.ClientWeb, script,
            "run", "--reporter=verbose", "--reporter=json", $"--outputFile.json={_report}");
        if (!File.Exists(_report))
        {
            return;
        }

        using var report = JsonDocument.Parse(await File.ReadAllTextAsync(_report));
        Files = report.RootElement.GetProperty("testResults").EnumerateArray().ToDictionary(
            file => Path.GetRelativePath(WebClientChecks.ClientWeb, file.GetProperty("name").GetString()!).Replace(Path.DirectorySeparatorChar, '/'),
            file => new FileResult(
                file.GetProperty("status").GetString()!,
                file.TryGetProperty("message", out var message) ? message.GetString() ?? "" : "",
                [.. file.GetProperty("assertionResults").EnumerateArray().Select(test => (
                    test.GetProperty("fullName").GetString()!,
                    test.GetProperty("status").GetString()!,
                    string.Join("\n", test.GetProperty("failureMessages").EnumerateArray().Select(m => m.GetString())))),]),
            StringComparer.Ordinal);
    }

    public ValueTask DisposeAsync()
    {
        File.Delete(_report);
        return ValueTask.CompletedTask;
    }
}
