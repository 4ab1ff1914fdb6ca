using System.Collections.Concurrent;
using System.Diagnostics;
using System.Security.Cryptography;
using SyncEngine.Client;

namespace SyncEngine.LoadTest;

/// <summary>N clients pushing 1 KB changes through the gateway as fast as they are acknowledged.</summary>
public static class PushLoad
{
    public sealed record Workspace(Guid Id, string Token);

    public sealed record Result(int Clients, int Workspaces, long Acknowledged, double Seconds, Stats Latency)
    {
        public double PerSecond => Acknowledged / Seconds;
    }

    /// <summary>What was acknowledged, to check afterwards that every change is stored with its bytes.</summary>
    public static ConcurrentDictionary<(Guid Workspace, long Seq), byte[]> Acknowledged { get; } = new();

    public static async Task<IReadOnlyList<Workspace>> ClaimAsync(SyncEngineClient api, int count, CancellationToken ct) =>
        await Task.WhenAll(Enumerable.Range(0, count).Select(async _ =>
        {
            var id = Guid.NewGuid();
            var claimed = await api.ClaimAsync(id, Guid.NewGuid(), Guid.NewGuid().ToString(), ct);
            return new Workspace(id, claimed.Token);
        }));

    public static async Task<Result> RunAsync(SyncEngineClient api, int clients, IReadOnlyList<Workspace> workspaces, TimeSpan duration, CancellationToken ct)
    {
        var latency = new Stats();
        long acknowledged = 0;
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, clients).Select(async client =>
        {
            var workspace = workspaces[client % workspaces.Count];
            var change = new byte[1024];
            while (clock.Elapsed < duration)
            {
                RandomNumberGenerator.Fill(change);
                var started = Stopwatch.GetTimestamp();
                var seq = await api.PushAsync(workspace.Token, workspace.Id, change, Guid.NewGuid(), 1, ct);
                latency.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                Acknowledged[(workspace.Id, seq)] = SHA256.HashData(change);
                Interlocked.Increment(ref acknowledged);
            }
        }));
        return new Result(clients, workspaces.Count, acknowledged, clock.Elapsed.TotalSeconds, latency);
    }

    /// <summary>Pulls every workspace from scratch and compares each acknowledged change's bytes: the number lost.</summary>
    public static async Task<(long Checked, long Lost)> VerifyAsync(SyncEngineClient api, IEnumerable<Workspace> workspaces, CancellationToken ct)
    {
        long checkedCount = 0, lost = 0;
        foreach (var workspace in workspaces)
        {
            var pulled = await api.PullAsync(workspace.Token, workspace.Id, 0, ct);
            var stored = pulled.Frames.ToDictionary(f => f.Seq, f => SHA256.HashData(f.Data));
            foreach (var ((id, seq), hash) in Acknowledged.Where(a => a.Key.Workspace == workspace.Id))
            {
                checkedCount++;
                if (!stored.TryGetValue(seq, out var found) || !found.AsSpan().SequenceEqual(hash))
                {
                    lost++;
                }
            }
        }

        return (checkedCount, lost);
    }
}
