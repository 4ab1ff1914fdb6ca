using Microsoft.Extensions.Configuration;

namespace SyncEngine.AppHost.Postgres;

/// <summary>
/// A docker CLI without a daemon makes DCP wait forever on a container (measured: the AppHost hung with no error), so the runtime itself
/// is asked, with a short deadline, before a container is chosen.
/// </summary>
internal static class ContainerRuntime
{
    private static readonly TimeSpan InfoDeadline = TimeSpan.FromSeconds(5);

    /// <summary>The runtime DCP would use: Aspire's own setting, else its environment variable, else docker.</summary>
    public static string Name(IConfiguration configuration) =>
        configuration["DcpPublisher:ContainerRuntime"] is { Length: > 0 } configured ? configured
        : configuration["ASPIRE_CONTAINER_RUNTIME"] is { Length: > 0 } environment ? environment
        : "docker";

    /// <summary>Null when the runtime answered; otherwise why not, in words a user can act on.</summary>
    public static string? WhyNot(string runtime)
    {
        if (!ProcessRunner.OnPath(runtime))
        {
            return $"'{runtime}' is not on PATH";
        }

        var info = ProcessRunner.Run(runtime, ["info", "--format", "{{.ServerVersion}}"], InfoDeadline);
        return info.Succeeded && info.Output.Length > 0
            ? null
            : $"`{runtime} info` found no running server: {FirstLine(info.Output).TrimEnd('.')}";
    }

    private static string FirstLine(string text) =>
        text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault() ?? "no output";
}
