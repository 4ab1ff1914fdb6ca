using System.Diagnostics;
using System.Reflection;
using Xunit;

namespace SyncEngine.Testing;

/// <summary>Auth's `keys` command as an operator runs it (Auth's README, "Keys"): as Auth's own role, with the secret its keys are sealed with.</summary>
public static class AuthKeysCommand
{
    /// <summary>Runs `Services.Auth keys ...` and returns its line saying what it did ("added KID, ..." or "retired KID: ...").</summary>
    public static async Task<string> RunAsync(string authConnectionString, string keyEncryptionKey, string[] arguments, CancellationToken ct)
    {
        var configuration = typeof(AuthKeysCommand).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";
        var start = new ProcessStartInfo("dotnet")
        {
            ArgumentList = { "run", "--project", Path.Combine(Repository.Root, "src", "Services.Auth"), "--no-build", "--no-launch-profile", "-c", configuration, "--", "keys" },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            Environment =
            {
                ["ConnectionStrings__syncengine"] = authConnectionString,
                ["Auth__KeyEncryptionKey"] = keyEncryptionKey,
            },
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync(ct);
        var error = process.StandardError.ReadToEndAsync(ct);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(TimeSpan.FromMinutes(2));
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        Assert.True(process.ExitCode == 0, $"keys {string.Join(' ', arguments)} exited {process.ExitCode}: {await output} {await error}");
        return (await output).Split('\n').Last(line => line.StartsWith(arguments[0] == "add" ? "added " : "retired ", StringComparison.Ordinal));
    }

    /// <summary>The key id in the line <see cref="RunAsync"/> returns for `keys add`.</summary>
    public static string AddedKid(string line) => line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1].TrimEnd(',');
}
