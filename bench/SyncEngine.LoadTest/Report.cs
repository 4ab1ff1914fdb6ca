using System.Text;

namespace SyncEngine.LoadTest;

public static class Report
{
    private const string Begin = "<!-- load-test:begin -->";
    private const string End = "<!-- load-test:end -->";

    public static string Markdown(
        IReadOnlyList<PushLoad.Result> pushes, IReadOnlyList<PushLoad.Result> socketPushes, IReadOnlyList<PushLoad.Result> baselines,
        IReadOnlyList<PullAndPropagation.PullResult> pulls, Stats propagation, Stats socketPropagation, long checkedCount, long lost,
        IReadOnlyList<ServiceMemory> memory, int cellSeconds,
        IReadOnlyList<(int Clients, long Pushes, IReadOnlyList<(string Program, double CpuMs)> Cpu)> profiles,
        IReadOnlyList<(int Clients, long Pushes, IReadOnlyList<(string Program, double CpuMs)> Cpu)> socketProfiles)
    {
        var md = new StringBuilder();
        md.AppendLine("## Sync path under load (bench/SyncEngine.LoadTest)");
        md.AppendLine();
        md.AppendLine($"Run {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC on {Environment.ProcessorCount} cores, {Machine()}; command `dotnet run -c Release --project bench/SyncEngine.LoadTest`.");
        md.AppendLine($"The whole app started by its AppHost (Release builds, Sync as 2 replicas, system PostgreSQL 15 with fsync on), load over loopback through the gateway, {cellSeconds} s per cell after an 8 s warm-up of the whole system and 2 s per cell, 1 KB random changes, one in flight per client; HTTP clients push with `POST /changes`, socket clients over one WebSocket each (`GET /api/sync`), subscribed to their workspace (so clients sharing one also receive each other's changes); the baseline is one 1 KB bytea INSERT per durable transaction on the same server in the same run.");
        md.AppendLine();
        md.AppendLine("| clients (workspaces) | HTTP push /s | HTTP p50 / p95 / p99 ms | socket push /s | socket p50 / p95 / p99 ms | baseline /s | baseline p50 / p95 / p99 ms | HTTP / baseline | socket / baseline |");
        md.AppendLine("| --- | --- | --- | --- | --- | --- | --- | --- | --- |");
        foreach (var ((push, socket), baseline) in pushes.Zip(socketPushes).Zip(baselines))
        {
            md.AppendLine($"| {push.Clients} ({push.Workspaces}) | {push.PerSecond:0} | {Triple(push.Latency)} | {socket.PerSecond:0} | {Triple(socket.Latency)} | {baseline.PerSecond:0} | {Triple(baseline.Latency)} | {push.PerSecond / baseline.PerSecond:0.00} | {socket.PerSecond / baseline.PerSecond:0.00} |");
        }

        md.AppendLine();
        foreach (var pull in pulls)
        {
            md.AppendLine($"- Pull of the 1 missing 1 KB change of a {pull.DocumentBytes / 1024} KB document: {pull.WireBytes} bytes on the wire (status line, headers, body), latency {pull.Latency.Summary}.");
        }

        md.AppendLine($"- Propagation over HTTP, push acknowledged to another subscriber's live `head` event (the subscriber must then pull): {propagation.Summary} ({propagation.Count} samples).");
        md.AppendLine($"- Propagation over sockets, an edit sent by one device to its bytes received by another: {socketPropagation.Summary} ({socketPropagation.Count} samples).");
        md.AppendLine($"- Durability check: {checkedCount} acknowledged changes pulled back and compared byte for byte: {lost} lost.");
        md.AppendLine($"- Memory at the end, RSS (PSS): {string.Join(", ", memory.Select(m => $"{m.Resource} {m.RssBytes / 1024 / 1024} MB ({m.PssBytes / 1024 / 1024} MB)"))}.");
        md.AppendLine($"- RSS by kind, anonymous (GC heap, native) + assembly and library files (shared by every .NET process) + the runtime's executable memory (JIT code, stubs, loader heaps): {string.Join(", ", memory.Select(m => $"{m.Resource} {Mb(m.AnonBytes)} + {Mb(m.FileBytes)} + {Mb(m.ShmemBytes)} MB"))}.");
        md.AppendLine();
        CpuTable(md, "HTTP", profiles);
        CpuTable(md, "socket", socketProfiles);
        md.AppendLine("Targets:");
        var socketAt32 = socketPushes[^1].PerSecond / baselines[^1].PerSecond;
        var socketCpu = socketProfiles[^1].Cpu.Sum(c => c.CpuMs) / Math.Max(1, socketProfiles[^1].Pushes);
        var socketP50Ratio = socketPushes[0].Latency.Percentile(50) / baselines[0].Latency.Percentile(50);
        md.AppendLine($"- socket push throughput at 32 clients ≥ 0.7 × baseline: {socketAt32:0.00} × — {Met(socketAt32 >= 0.7)}");
        md.AppendLine($"- whole-system CPU per socket push at 32 clients ≤ 0.6 CPU-ms: {socketCpu:0.000} — {Met(socketCpu <= 0.6)}");
        md.AppendLine($"- socket push p50 at 1 client ≤ 2 × baseline p50: {socketP50Ratio:0.0} × — {Met(socketP50Ratio <= 2)}");
        md.AppendLine($"- edit on one device to bytes on another ≤ 2 ms p50: {socketPropagation.Percentile(50):0.00} ms — {Met(socketPropagation.Percentile(50) <= 2)}");
        md.AppendLine($"- HTTP push at 32 clients ≥ 2 × the 980/s measured on 2026-12-01: {pushes[^1].PerSecond:0}/s — {Met(pushes[^1].PerSecond >= 1960)}");
        md.AppendLine($"- 1 missing change of a 1 MB document < 2 KB on the wire: {pulls[^1].WireBytes} bytes — {Met(pulls[^1].WireBytes < 2048)}");
        md.AppendLine($"- propagation p50 < 50 ms: {propagation.Percentile(50):0.0} ms — {Met(propagation.Percentile(50) < 50)}");
        md.AppendLine($"- each service < 150 MB RSS: largest {memory.Max(m => m.RssBytes) / 1024 / 1024} MB — {Met(memory.All(m => m.RssBytes < 150L * 1024 * 1024))} (largest PSS {memory.Max(m => m.PssBytes) / 1024 / 1024} MB)");
        return md.ToString();
    }

    private static void CpuTable(
        StringBuilder md, string transport, IReadOnlyList<(int Clients, long Pushes, IReadOnlyList<(string Program, double CpuMs)> Cpu)> profiles)
    {
        md.AppendLine($"CPU per acknowledged {transport} push, by program (user+system time from /proc over each push cell; {Environment.ProcessorCount} cores = {Environment.ProcessorCount * 1000} CPU-ms per second):");
        md.AppendLine();
        var programs = profiles.SelectMany(p => p.Cpu.Select(c => c.Program)).Distinct().ToList();
        md.AppendLine($"| program | {string.Join(" | ", profiles.Select(p => $"{p.Clients} client{(p.Clients == 1 ? "" : "s")}: CPU-ms per push"))} |");
        md.AppendLine($"| --- |{string.Concat(profiles.Select(_ => " --- |"))}");
        foreach (var program in programs.OrderByDescending(name => profiles[^1].Cpu.FirstOrDefault(c => c.Program == name).CpuMs))
        {
            md.AppendLine($"| {program} | {string.Join(" | ", profiles.Select(p => $"{p.Cpu.FirstOrDefault(c => c.Program == program).CpuMs / Math.Max(1, p.Pushes):0.000}"))} |");
        }

        md.AppendLine($"| **total** | {string.Join(" | ", profiles.Select(p => $"**{p.Cpu.Sum(c => c.CpuMs) / Math.Max(1, p.Pushes):0.000}**"))} |");
        md.AppendLine();
    }

    /// <summary>Replaces the load-test section of the file (or appends it), leaving other sections alone.</summary>
    public static void WriteInto(string path, string section)
    {
        var existing = File.Exists(path) ? File.ReadAllText(path) : "# Benchmarks\n\n";
        var block = $"{Begin}\n{section}{End}\n";
        var start = existing.IndexOf(Begin, StringComparison.Ordinal);
        var end = existing.IndexOf(End, StringComparison.Ordinal);
        var updated = start >= 0 && end > start
            ? existing[..start] + block + existing[(end + End.Length + 1)..]
            : existing.TrimEnd() + "\n\n" + block;
        File.WriteAllText(path, updated);
    }

    public static string RepositoryRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "SyncEngine.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? Directory.GetCurrentDirectory();
    }

    private static string Triple(Stats s) => $"{s.Percentile(50):0.0} / {s.Percentile(95):0.0} / {s.Percentile(99):0.0}";

    private static long Mb(long bytes) => bytes / 1024 / 1024;

    private static string Met(bool met) => met ? "**met**" : "**not met**";

    private static string Machine()
    {
        var model = File.Exists("/proc/cpuinfo")
            ? File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim()
            : null;
        var memKb = File.Exists("/proc/meminfo")
            ? File.ReadLines("/proc/meminfo").First().Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]
            : "0";
        return $"{model ?? "unknown CPU"}, {long.Parse(memKb) / 1024 / 1024} GiB";
    }
}
