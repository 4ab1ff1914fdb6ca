using Xunit;

namespace SyncEngine.ClientWeb.Tests;

/// <summary>
/// Brings src/Client.Web's own checks into `dotnet test`: the strict TypeScript compile, and each Vitest file of the
/// sync library as its own test (read from one run of them all, <see cref="VitestRun"/>), so a failure names the file
/// and shows Vitest's report.
/// </summary>
public sealed class WebClientChecks(VitestRun vitest) : IClassFixture<VitestRun>
{
    internal static readonly string ClientWeb = Path.Combine(SyncEngine.Testing.Repository.Root, "src", "Client.Web");

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
    public void vitest_file_passes(string file)
    {
        Assert.True(vitest.Files.TryGetValue(file, out var result), $"Vitest reported nothing for {file}; the run exited {vitest.ExitCode}:\n{vitest.Output}");
        Assert.NotEmpty(result.Tests);
        var failed = result.Tests.Where(test => test.Status != "passed").ToList();
        Assert.True(result.Status == "passed" && failed.Count == 0,
            $"{file}: {result.Status} {result.Message}\n{string.Join("\n", failed.Select(test => $"{test.Status}: {test.Name}\n{test.Failure}"))}\n\nThe whole run:\n{vitest.Output}");
    }

    [Fact]
    public async Task web_client_type_checks_under_strict_typescript() =>
        await RunAsync("node_modules/typescript/bin/tsc", "--noEmit", "-p", "tsconfig.json");

    private static async Task RunAsync(string script, params string[] arguments)
    {
        var scriptPath = Path.Combine(ClientWeb, script);
        Assert.True(File.Exists(scriptPath), $"{scriptPath} is missing: run `npm ci` in src/Client.Web first (.ci/run does).");
        await Node.RunAsync(ClientWeb, scriptPath, arguments);
    }
}
