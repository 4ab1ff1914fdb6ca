using System.Diagnostics;
using Xunit;

namespace SyncEngine.ClientWeb.Tests;

/// <summary>
/// Brings src/Client.Web's own checks into `dotnet test`: the strict TypeScript compile, and each Vitest file of the
/// sync library as its own test, so a failure names the file and shows Vitest's report.
/// </summary>
public sealed class WebClientChecks
{
    private static readonly string ClientWeb = Path.Combine(SyncEngine.Testing.Repository.Root, "src", "Client.Web");

    public static TheoryData<string> VitestFiles()
    {
        var files = new TheoryData<string>();
        foreach (var file in Directory.EnumerateFiles(Path.Combine(ClientWeb, "packages"), "*.test.ts", SearchOption.AllDirectories)
                     .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}node_modules{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
                     .Order(StringComparer.Ordinal))
        {
            files.Add(Path.GetRelativePath(ClientWeb, file).Replace(Path.DirectorySeparatorChar, '/'));
        }

        return files;
    }

    [Theory]
    [MemberData(nameof(VitestFiles))]
    public async Task vitest_file_passes(string file) =>
        await RunAsync("node_modules/vitest/vitest.mjs", "run", "--reporter=verbose", file);

    [Fact]
    public async Task web_client_type_checks_under_strict_typescript() =>
        await RunAsync("node_modules/typescript/bin/tsc", "--noEmit", "-p", "tsconfig.json");

    private static async Task RunAsync(string script, params string[] arguments)
    {
        var scriptPath = Path.Combine(ClientWeb, script);
        Assert.True(File.Exists(scriptPath), $"{scriptPath} is missing: run `npm ci` in src/Client.Web first (.ci/run does).");
        var start = new ProcessStartInfo("node") { WorkingDirectory = ClientWeb, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(scriptPath);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["NO_COLOR"] = "1";
        start.Environment["CI"] = "1";
        using var process = Process.Start(start) ?? throw new InvalidOperationException("node did not start");
        var stdout = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        await process.WaitForExitAsync(TestContext.Current.CancellationToken);
        var report = $"{await stdout}\n{await stderr}";
        TestContext.Current.TestOutputHelper?.WriteLine(report);
        Assert.True(process.ExitCode == 0, $"`node {script} {string.Join(' ', arguments)}` exited with {process.ExitCode}:\n{report}");
    }
}
