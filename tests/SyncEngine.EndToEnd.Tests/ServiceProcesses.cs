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

    /// <summary>
    /// The remote ports of the TCP connections <paramref name="pid"/> holds open (established), from /proc: its open
    /// sockets' inodes matched against the kernel's connection tables. Shows whom a process talks to straight.
    /// </summary>
    public static IReadOnlySet<int> EstablishedRemotePortsOf(int pid)
    {
        var sockets = new HashSet<string>(StringComparer.Ordinal);
        foreach (var fd in Directory.EnumerateFiles($"/proc/{pid}/fd"))
        {
            if (new FileInfo(fd).LinkTarget is { } target && target.StartsWith("socket:[", StringComparison.Ordinal))
            {
                sockets.Add(target["socket:[".Length..^1]);
            }
        }

        const string Established = "01";
        var ports = new HashSet<int>();
        foreach (var table in new[] { $"/proc/{pid}/net/tcp", $"/proc/{pid}/net/tcp6" })
        {
            // "sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode ..."; addresses are hex "ip:port".
            foreach (var row in File.ReadLines(table).Skip(1).Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries)))
            {
                if (row.Length > 9 && row[3] == Established && sockets.Contains(row[9]))
                {
                    ports.Add(Convert.ToInt32(row[2][(row[2].LastIndexOf(':') + 1)..], 16));
                }
            }
        }

        return ports;
    }

    /// <summary>The address a service process itself listens on (its ASPNETCORE_URLS), bypassing Aspire's proxy.</summary>
    public static Uri? DirectAddressOf(int servicePid)
    {
        string variables;
        try
        {
            variables = File.ReadAllText($"/proc/{servicePid}/environ");
        }
        catch (IOException)
        {
            // Gone (stopped, killed or restarted meanwhile): it listens nowhere.
            return null;
        }

        return variables.Split('\0').Where(v => v.StartsWith("ASPNETCORE_URLS=", StringComparison.Ordinal))
            .Select(v => new Uri(v["ASPNETCORE_URLS=".Length..].Split(';')[0])).FirstOrDefault();
    }
}
