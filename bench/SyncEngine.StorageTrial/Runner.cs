using System.Diagnostics;

namespace SyncEngine.StorageTrial;

/// <summary>One run of one variant at one shape: latencies (Stopwatch ticks) of the pushes acked in the measured window.</summary>
public sealed record Run(long[] Latencies, double Seconds, List<Ack> Acks, long Errors, string? FirstError, string Verified);

/// <summary>The runs of one variant at one shape, merged: throughput over all measured time, percentiles over all latencies.</summary>
public sealed record Cell(string Variant, int Clients, int Workspaces, IReadOnlyList<Run> Runs)
{
    public long Measured => Runs.Sum(r => r.Latencies.Length);

    public double PerSecond => Measured / Runs.Sum(r => r.Seconds);

    public string PerRound => string.Join(" / ", Runs.Select(r => (r.Latencies.Length / r.Seconds).ToString("0", System.Globalization.CultureInfo.InvariantCulture)));

    public long Errors => Runs.Sum(r => r.Errors);

    public bool Verified => Runs.All(r => r.Verified.StartsWith("ok", StringComparison.Ordinal));

    public double Percentile(double p)
    {
        var all = Runs.SelectMany(r => r.Latencies).Order().ToArray();
        return all.Length == 0 ? double.NaN : Runner.Ms(all[Math.Max(0, (int)Math.Ceiling(p / 100 * all.Length) - 1)]);
    }
}

/// <summary>Closed-loop clients: each sends one 1 KB push, waits for the durable ack, sends the next.</summary>
public static class Runner
{
    public const int ChangeBytes = 1024;

    public static double Ms(long ticks) => ticks * 1000.0 / Stopwatch.Frequency;

    public static async Task<Run> RunAsync(IAppendTarget target, int clients, Guid[] workspaces,
        TimeSpan warmup, TimeSpan measure, CancellationToken ct)
    {
        var start = Stopwatch.GetTimestamp();
        var measureFrom = start + (long)(warmup.TotalSeconds * Stopwatch.Frequency);
        var end = measureFrom + (long)(measure.TotalSeconds * Stopwatch.Frequency);

        var results = await Task.WhenAll(Enumerable.Range(0, clients).Select(c => Task.Run(async () =>
        {
            var random = new Random(HashCode.Combine(c, start));
            var clientId = Guid.NewGuid();
            var latencies = new List<long>();
            var acks = new List<Ack>();
            long errors = 0;
            string? firstError = null;
            while (Stopwatch.GetTimestamp() < end && !ct.IsCancellationRequested)
            {
                var workspaceId = workspaces[random.Next(workspaces.Length)];
                var data = new byte[ChangeBytes];
                random.NextBytes(data);
                var key = Guid.NewGuid();
                var sent = Stopwatch.GetTimestamp();
                try
                {
                    var pushed = await target.PushAsync(workspaceId, key, clientId, data, ct);
                    var acked = Stopwatch.GetTimestamp();
                    acks.Add(new Ack(workspaceId, key, pushed.Seq, data));
                    if (acked >= measureFrom && acked <= end)
                    {
                        latencies.Add(acked - sent);
                    }
                }
                catch (Exception e) when (!ct.IsCancellationRequested)
                {
                    errors++;
                    firstError ??= $"{e.GetType().Name}: {e.Message}";
                }
            }

            return (latencies, acks, errors, firstError);
        }, ct)));

        var acks = results.SelectMany(r => r.acks).ToList();
        var verified = await VerifyAsync(target, workspaces, acks, ct);
        return new Run([.. results.SelectMany(r => r.latencies)], measure.TotalSeconds, acks, results.Sum(r => r.errors),
            results.Select(r => r.firstError).FirstOrDefault(e => e is not null), verified);
    }

    /// <summary>
    /// Every acknowledged push is stored once with its exact bytes (and key), nothing unacknowledged is stored, and
    /// each workspace's seqs are exactly 1..N.
    /// </summary>
    public static async Task<string> VerifyAsync(IAppendTarget target, Guid[] workspaces, List<Ack> acks, CancellationToken ct)
    {
        var rows = await target.ReadBackAsync(workspaces, acks, ct);
        var stored = new Dictionary<(Guid, long), StoredChange>();
        foreach (var row in rows)
        {
            if (!stored.TryAdd((row.WorkspaceId, row.Seq), row))
            {
                return $"FAIL: seq {row.Seq} stored twice in {row.WorkspaceId}";
            }
        }

        var acked = new HashSet<(Guid, long)>();
        foreach (var ack in acks)
        {
            var workspaceId = target.HasLog ? ack.WorkspaceId : Guid.Empty;
            if (!acked.Add((workspaceId, ack.Seq)))
            {
                return $"FAIL: seq {ack.Seq} acknowledged twice in {workspaceId}";
            }

            if (!stored.TryGetValue((workspaceId, ack.Seq), out var row))
            {
                return $"FAIL: acknowledged seq {ack.Seq} in {workspaceId} is missing";
            }

            if (row.Key != target.StoredKey(workspaceId, ack.Key) || !row.Data.AsSpan().SequenceEqual(ack.Data))
            {
                return $"FAIL: seq {ack.Seq} in {workspaceId} holds other bytes or another key";
            }
        }

        if (rows.Count != acks.Count)
        {
            return $"FAIL: {rows.Count} rows stored for {acks.Count} acknowledged pushes";
        }

        var gapFree = "";
        if (target.HasLog)
        {
            foreach (var log in rows.GroupBy(r => r.WorkspaceId))
            {
                var seqs = log.Select(r => r.Seq).Order().ToArray();
                if (seqs[0] != 1 || seqs[^1] != seqs.Length)
                {
                    return $"FAIL: {log.Key} holds seqs {seqs[0]}..{seqs[^1]} in {seqs.Length} rows";
                }
            }

            gapFree = $", seqs 1..N gap-free in all {rows.Select(r => r.WorkspaceId).Distinct().Count()} workspaces";
        }

        var extra = await target.ExtraCheckAsync(workspaces, acks, ct);
        var verdict = $"ok: {acks.Count} acks = {rows.Count} rows, bytes exact{gapFree}{(extra is null ? "" : "; " + extra)}";
        return extra?.StartsWith("FAIL", StringComparison.Ordinal) == true ? "FAIL " + verdict : verdict;
    }

    /// <summary>Same key and bytes again: the first seq and no new row. Same key, other bytes: a conflict.</summary>
    public static async Task<string> CheckIdempotencyAsync(IAppendTarget target, CancellationToken ct)
    {
        var workspaceId = Guid.NewGuid();
        var client = Guid.NewGuid();
        var data = new byte[ChangeBytes];
        Random.Shared.NextBytes(data);
        var (key, otherKey) = (Guid.NewGuid(), Guid.NewGuid());
        var first = await target.PushAsync(workspaceId, key, client, data, ct);
        var second = await target.PushAsync(workspaceId, otherKey, client, data, ct);
        var again = await target.PushAsync(workspaceId, key, client, data, ct);
        string conflict;
        try
        {
            await target.PushAsync(workspaceId, key, client, [.. data.Reverse()], ct);
            conflict = "FAIL: other bytes under the same key were accepted";
        }
        catch (IdempotencyConflictException)
        {
            conflict = "other bytes under the same key rejected";
        }

        var verified = await VerifyAsync(target, [workspaceId],
            [new Ack(workspaceId, key, first.Seq, data), new Ack(workspaceId, otherKey, second.Seq, data)], ct);
        return again is { Replayed: true } && again.Seq == first.Seq && verified.StartsWith("ok", StringComparison.Ordinal)
            ? $"ok: replaying seq {first.Seq} after seq {second.Seq} returned seq {again.Seq} and stored no row; {conflict}"
            : $"FAIL: first {first}, second {second}, replay {again}; {verified}; {conflict}";
    }
}
