using System.Diagnostics;

namespace SyncEngine.AppHost.Postgres;

/// <summary>Runs a short helper process (initdb, npm, docker info) with a deadline, so the AppHost never hangs on one.</summary>
internal static class ProcessRunner
{
    public sealed record Outcome(bool Started, int ExitCode, string Output)
    {
        public bool Succeeded => Started && ExitCode == 0;
    }

    public static Outcome Run(string command, IEnumerable<string> args, TimeSpan timeout, string? workingDirectory = null)
    {
        var info = new ProcessStartInfo(command)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        Process process;
        try
        {
            process = Process.Start(info) ?? throw new InvalidOperationException();
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            return new Outcome(false, -1, e.Message);
        }

        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(timeout))
            {
                process.Kill(entireProcessTree: true);
                return new Outcome(true, -1, $"{command} did not finish within {timeout.TotalSeconds:0} s");
            }

            return new Outcome(true, process.ExitCode, (stdout.Result + stderr.Result).Trim());
        }
    }

    public static bool OnPath(string command) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "")
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Any(dir => File.Exists(Path.Combine(dir, command)));
}
