using System.Diagnostics;

namespace SyncEngine.EndToEnd.Tests;

/// <summary>
/// DCP starts a project as `dotnet run`, which starts the service's own executable as its child; the pid Aspire
/// reports is the wrapper's. Killing the wrapper would leave the service running, orphaned, so tests go to the child.
/// </summary>
public static class ServiceProcesses
{
    public static int? ServiceProcessOf(int resourcePid)
    {
        if (IsService(resourcePid))
        {
            return resourcePid;
        }

        var children = $"/proc/{resourcePid}/task/{resourcePid}/children";
        return File.Exists(children)
            ? File.ReadAllText(children).Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse).FirstOrDefault(IsService) is var child and > 0 ? child : null
            : null;
    }

    private static bool IsService(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return process.ProcessName.StartsWith("Services.", StringComparison.Ordinal) || process.ProcessName == "Gateway";
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    /// <summary>The address a service process itself listens on (its ASPNETCORE_URLS), bypassing Aspire's proxy.</summary>
    public static Uri? DirectAddressOf(int servicePid)
    {
        var environ = $"/proc/{servicePid}/environ";
        return File.Exists(environ)
            ? File.ReadAllText(environ).Split('\0').Where(v => v.StartsWith("ASPNETCORE_URLS=", StringComparison.Ordinal))
                .Select(v => new Uri(v["ASPNETCORE_URLS=".Length..].Split(';')[0])).FirstOrDefault()
            : null;
    }
}
