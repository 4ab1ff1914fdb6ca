using System.Diagnostics;
using Xunit;

namespace SyncEngine.ClientWeb.Tests;

/// <summary>Runs a Node script and fails the test with its output when it exits non-zero.</summary>
internal static class Node
{
    public static async Task RunAsync(string workingDirectory, string scriptPath, params string[] arguments)
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
        var report = $"{await stdout}\n{await stderr}";
        TestContext.Current.TestOutputHelper?.WriteLine(report);
        Assert.True(process.ExitCode == 0, $"`node {scriptPath} {string.Join(' ', arguments)}` exited with {process.ExitCode}:\n{report}");
    }
}
