using System.Diagnostics;
using Xunit;

namespace SyncEngine.ClientWeb.Tests;

/// <summary>Runs Node scripts for the tests: failing the test with the output when one exits non-zero, or handing both back.</summary>
internal static class Node
{
    public static async Task RunAsync(string workingDirectory, string scriptPath, params string[] arguments)
    {
        var (exitCode, output) = await RunCapturedAsync(workingDirectory, scriptPath, arguments);
        TestContext.Current.TestOutputHelper?.WriteLine(output);
        Assert.True(exitCode == 0, $"`node {scriptPath} {string.Join(' ', arguments)}` exited with {exitCode}:\n{output}");
    }

    public static async Task<(int ExitCode, string Output)> RunCapturedAsync(string workingDirectory, string scriptPath, params string[] arguments)
    {
        var start = new ProcessStartInfo("node") { WorkingDirectory = workingDirectory, RedirectStandardOutput = true, RedirectStandardError = true };
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
        return (process.ExitCode, $"{await stdout}\n{await stderr}");
    }
}
