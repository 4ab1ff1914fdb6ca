namespace SyncEngine.LoadTest;

/// <summary>
/// Where the CPU goes during a cell: every process's user+system time from /proc, grouped by program, so a push's
/// cost splits into load generator, gateway, Aspire's proxies, the services and PostgreSQL.
/// </summary>
public sealed class CpuProfile
{
    private static readonly double TicksPerSecond = 100; // USER_HZ on Linux
    private static readonly string[] KernelThreads = ["kworker", "ksoftirqd", "kdamond", "rcu_", "kswapd", "jbd2", "migration", "kcompactd"];
    private readonly Dictionary<int, (string Name, long Ticks)> _start;

    private CpuProfile(Dictionary<int, (string Name, long Ticks)> start) => _start = start;

    public static CpuProfile Start() => new(Snapshot());

    /// <summary>CPU milliseconds spent per program since Start, largest first.</summary>
    public IReadOnlyList<(string Program, double CpuMs)> Stop()
    {
        var end = Snapshot();
        return end
            .Select(p => (Group(p.Value.Name), Ticks: p.Value.Ticks - (_start.TryGetValue(p.Key, out var s) && s.Name == p.Value.Name ? s.Ticks : 0)))
            .GroupBy(p => p.Item1)
            .Select(g => (g.Key, g.Sum(p => p.Ticks) * 1000 / TicksPerSecond))
            .Where(g => g.Item2 > 0)
            .OrderByDescending(g => g.Item2)
            .ToList();
    }

    private static string Group(string comm) => comm switch
    {
        "postgres" => "PostgreSQL",
        "Services.Sync" => "Sync (2 replicas)",
        "Services.Auth" => "Auth",
        "Services.Worksp" => "Workspace",
        "Gateway" => "Gateway (YARP)",
        _ when comm.StartsWith("dcp", StringComparison.Ordinal) => "Aspire DCP (proxies)",
        _ when comm.StartsWith("SyncEngine.Load", StringComparison.Ordinal) => "load generator + AppHost (this process)",
        _ when comm.StartsWith("Aspire.Dashboa", StringComparison.Ordinal) => "Aspire dashboard",
        _ when KernelThreads.Any(prefix => comm.StartsWith(prefix, StringComparison.Ordinal)) => "kernel threads (I/O, memory)",
        _ => "other",
    };

    private static Dictionary<int, (string Name, long Ticks)> Snapshot()
    {
        var result = new Dictionary<int, (string Name, long Ticks)>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid))
            {
                continue;
            }

            try
            {
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                // comm is in parentheses and may hold spaces; the fields after it are space-separated.
                var open = stat.IndexOf('(');
                var close = stat.LastIndexOf(')');
                var fields = stat[(close + 2)..].Split(' ');
                result[pid] = (stat[(open + 1)..close], long.Parse(fields[11]) + long.Parse(fields[12]));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
            {
                // The process ended between listing and reading.
            }
        }

        return result;
    }
}
