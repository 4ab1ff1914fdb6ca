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
        await Node.RunAsync(ClientWeb, scriptPath, arguments);
    }
}
