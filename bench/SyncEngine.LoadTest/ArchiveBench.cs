using System.Buffers.Binary;
using System.Diagnostics;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using SyncEngine.Client;

namespace SyncEngine.LoadTest;

/// <summary>
/// Export and restore of one large workspace through the gateway, with the services' resident memory sampled every
/// 50 ms: an archive must pass through Sync without being held in memory (issue #12). The workspace is filled with
/// 4 MiB changes; the export streams to a file, which is restored under a new id (its metadata record rewritten and its
/// checksum made anew while copying, as a third party could) and pulled back to check the bytes.
/// </summary>
public static class ArchiveBench
{
    private const int ChangeBytes = 4 * 1024 * 1024;

    public static async Task<int> RunAsync(SystemUnderTest system, SyncEngineClient api, string operatorToken, int megabytes, CancellationToken ct)
    {
        var (workspaceId, owner) = (Guid.NewGuid(), Guid.NewGuid());
        var master = (await api.ClaimAsync(workspaceId, owner, Guid.NewGuid().ToString(), ct)).Token;
        var changes = megabytes * 1024 * 1024 / ChangeBytes;
        var fill = Stopwatch.StartNew();
        for (var i = 0; i < changes; i++)
        {
            var data = new byte[ChangeBytes];
            Random.Shared.NextBytes(data);
            await api.PushAsync(master, workspaceId, data, Guid.NewGuid(), 1, ct);
        }

        Console.WriteLine($"filled {changes} changes of 4 MiB ({changes * 4} MiB) in {fill.Elapsed.TotalSeconds:0.0} s");
        var processes = await system.ServiceProcessesAsync(ct);
        var folder = Directory.CreateTempSubdirectory("syncengine-archive-bench-").FullName;
        try
        {
            var file = Path.Combine(folder, "export.searchive");
            var (exported, exportTime, exportPeaks, exportBase) = await SampledAsync(processes, async () =>
            {
                await using var output = File.Create(file);
                return await api.ExportWorkspaceAsync(operatorToken, workspaceId, output, ct: ct);
            }, ct);
            Report("export", exported, exportTime, exportPeaks, exportBase);

            var copy = Guid.NewGuid();
            var moved = Path.Combine(folder, "copy.searchive");
            await RewriteAsync(file, moved, copy, ct);
            var (restoredHead, restoreTime, restorePeaks, restoreBase) = await SampledAsync(processes, async () =>
            {
                await using var input = File.OpenRead(moved);
                return (await api.RestoreWorkspaceAsync(operatorToken, "default", input, ct: ct)).Head;
            }, ct);
            Report("restore", new FileInfo(moved).Length, restoreTime, restorePeaks, restoreBase);
            Console.WriteLine($"restored head {restoredHead} (of {changes})");
            return restoredHead == changes ? 0 : 1;
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static void Report(string what, long bytes, TimeSpan time, IReadOnlyDictionary<string, long> peaks, IReadOnlyDictionary<string, long> before)
    {
        Console.WriteLine($"{what}: {bytes / 1024 / 1024} MiB in {time.TotalSeconds:0.0} s ({bytes / 1024.0 / 1024 / time.TotalSeconds:0} MiB/s)");
        foreach (var (resource, peak) in peaks.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            Console.WriteLine($"  {resource}: RSS {before[resource] / 1024 / 1024} MB before, peak {peak / 1024 / 1024} MB during (+{(peak - before[resource]) / 1024 / 1024} MB)");
        }
    }

    /// <summary>Runs <paramref name="work"/> while sampling each process's RSS: its time, the peaks and the RSS before.</summary>
    private static async Task<(T Result, TimeSpan Time, IReadOnlyDictionary<string, long> Peaks, IReadOnlyDictionary<string, long> Before)> SampledAsync<T>(
        IReadOnlyDictionary<string, int> processes, Func<Task<T>> work, CancellationToken ct)
    {
        var before = processes.ToDictionary(p => p.Key, p => SystemUnderTest.Rss(p.Value));
        var peaks = new Dictionary<string, long>(before);
        using var done = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var sampling = Task.Run(async () =>
        {
            using var every = new PeriodicTimer(TimeSpan.FromMilliseconds(50));
            do
            {
                foreach (var (resource, pid) in processes)
                {
                    peaks[resource] = Math.Max(peaks[resource], SystemUnderTest.Rss(pid));
                }
            }
            while (!done.IsCancellationRequested && await every.WaitForNextTickAsync(CancellationToken.None));
        }, CancellationToken.None);
        var clock = Stopwatch.StartNew();
        var result = await work();
        var time = clock.Elapsed;
        await done.CancelAsync();
        await sampling;
        return (result, time, peaks, before);
    }

    /// <summary>The archive for another id: its metadata record replaced, the rest copied, the checksum computed anew.</summary>
    private static async Task RewriteAsync(string from, string to, Guid workspaceId, CancellationToken ct)
    {
        await using var input = File.OpenRead(from);
        await using var output = File.Create(to);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        async Task WriteAsync(byte[] bytes)
        {
            hash.AppendData(bytes);
            await output.WriteAsync(bytes, ct);
        }

        var start = new byte[10];
        await input.ReadExactlyAsync(start, ct);
        await WriteAsync(start);
        var prefix = new byte[5];
        while (true)
        {
            await input.ReadExactlyAsync(prefix, ct);
            var payload = new byte[BinaryPrimitives.ReadUInt32BigEndian(prefix.AsSpan(1, 4))];
            await input.ReadExactlyAsync(payload, ct);
            if (prefix[0] == (byte)'E')
            {
                break;
            }

            if (prefix[0] == (byte)'M')
            {
                var metadata = JsonNode.Parse(payload)!.AsObject();
                metadata["workspaceId"] = workspaceId.ToString();
                payload = System.Text.Encoding.UTF8.GetBytes(metadata.ToJsonString());
                BinaryPrimitives.WriteUInt32BigEndian(prefix.AsSpan(1, 4), (uint)payload.Length);
            }

            await WriteAsync(prefix);
            await WriteAsync(payload);
        }

        var checksum = hash.GetHashAndReset();
        var end = new byte[5 + checksum.Length];
        end[0] = (byte)'E';
        BinaryPrimitives.WriteUInt32BigEndian(end.AsSpan(1, 4), (uint)checksum.Length);
        checksum.CopyTo(end, 5);
        await output.WriteAsync(end, ct);
    }
}
