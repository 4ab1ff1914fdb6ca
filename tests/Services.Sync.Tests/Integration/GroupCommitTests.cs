using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;
using Services.Sync.Changes;
using SyncEngine.Contracts.Workspaces;
using Xunit;
using static SyncEngine.Testing.TestData;

namespace Services.Sync.Tests.Integration;

/// <summary>
/// Group commit (ChangeWriter): pushes queued together are written in one transaction, each still decided on its own
/// (appended gap-free, replayed, refused) and answered after the commit; a batch that fails as a whole is written again
/// push by push.
/// </summary>
public sealed class GroupCommitTests(SyncService sync)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly MaxSchemaVersion.Limits Limits =
        new(SyncService.MaxSchemaVersion, SyncService.MaxChangeBytes, SyncService.MaxWorkspaceBytes);

    /// <summary>A writer whose loops have not started, so everything queued before <see cref="ChangeWriter.Start"/> is one or two batches.</summary>
    private ChangeWriter Paused() => new(
        sync.Services.GetRequiredService<NpgsqlDataSource>(), Options.Create(new SyncOptions()), sync.Services.GetRequiredService<SyncMetrics>(),
        NullLogger<ChangeWriter>.Instance, start: false);

    private static Task<PushOutcome> Push(ChangeWriter writer, Guid workspaceId, Guid key, byte[] data, int version = 1,
        MaxSchemaVersion.Limits? limits = null) =>
        writer.AppendAsync(workspaceId, new PushHeaders(key, version), new CheckedBody(data, SyncSchema.OpaqueFormat), Guid.NewGuid(),
            limits ?? Limits, Ct);

    /// <summary>The largest batch the writers record while <paramref name="run"/> runs.</summary>
    private static async Task<long> LargestBatchAsync(Func<Task> run)
    {
        long largest = 0;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Name == SyncMetrics.CommitBatchInstrument)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, value, _, _) => InterlockedMax(ref largest, value));
        listener.Start();
        await run();
        return Interlocked.Read(ref largest);

        static void InterlockedMax(ref long target, long value)
        {
            for (var seen = Interlocked.Read(ref target); value > seen; seen = Interlocked.Read(ref target))
            {
                if (Interlocked.CompareExchange(ref target, value, seen) == seen)
                {
                    return;
                }
            }
        }
    }

    [Fact]
    public async Task pushes_queued_together_commit_together_each_with_its_own_outcome_and_gap_free_seqs()
    {
        var (first, _, firstMaster) = await sync.NewWorkspaceAsync();
        var (second, _, secondMaster) = await sync.NewWorkspaceAsync();
        await using var writer = Paused();
        var key = Guid.NewGuid();
        var pushes = new List<Task<PushOutcome>>();
        var largest = await LargestBatchAsync(async () =>
        {
            pushes.Add(Push(writer, first, key, Bytes(100, 0)));
            for (var i = 1; i < 8; i++)
            {
                pushes.Add(Push(writer, first, Guid.NewGuid(), Bytes(100, i)));
                pushes.Add(Push(writer, second, Guid.NewGuid(), Bytes(100, 50 + i), version: 2));
            }

            pushes.Add(Push(writer, first, key, Bytes(100, 0)));            // the same push again: a replay
            pushes.Add(Push(writer, first, key, Bytes(100, 99)));           // its key with other bytes: a conflict
            pushes.Add(Push(writer, second, Guid.NewGuid(), [1], version: 1)); // older than the workspace's 2 by now: outdated
            writer.Start();
            await Task.WhenAll(pushes);
        });

        Assert.True(largest >= pushes.Count / 2, $"The largest batch was {largest} of {pushes.Count} queued pushes.");
        var outcomes = pushes.Select(p => p.Result).ToList();
        Assert.Equal(new PushOutcome.Appended(1), outcomes[0]);
        Assert.Equal(new PushOutcome.Replayed(1), outcomes[^3]);
        Assert.Equal(new PushOutcome.KeyConflict(1), outcomes[^2]);
        Assert.Equal(new PushOutcome.Outdated(2), outcomes[^1]);
        Assert.Equal(Enumerable.Range(1, 8).Select(i => (long)i),
            outcomes.Where((_, i) => i == 0 || (i < 15 && i % 2 == 1)).Select(o => ((PushOutcome.Appended)o).Seq));
        Assert.Equal(Enumerable.Range(1, 7).Select(i => (long)i),
            outcomes.Where((_, i) => i > 0 && i < 15 && i % 2 == 0).Select(o => ((PushOutcome.Appended)o).Seq));

        // Stored as answered: every seq with the bytes pushed under it, in queue order per workspace.
        var pulled = await sync.Api.PullAsync(firstMaster, first, 0, Ct);
        Assert.Equal(Enumerable.Range(0, 8).Select(i => Bytes(100, i)), pulled.Frames.Select(f => f.Data));
        Assert.Equal(7, (await sync.Api.PullAsync(secondMaster, second, 0, Ct)).Head);
    }

    [Fact]
    public async Task a_workspace_quota_is_exact_inside_one_batch_each_push_counted_after_the_ones_before_it()
    {
        var (full, _, fullMaster) = await sync.NewWorkspaceAsync();
        var (other, _, otherMaster) = await sync.NewWorkspaceAsync();
        var small = Limits with { MaxWorkspaceBytes = 1000 };
        await using var writer = Paused();
        var pushes = new List<Task<PushOutcome>>();
        var largest = await LargestBatchAsync(async () =>
        {
            for (var i = 0; i < 5; i++)
            {
                pushes.Add(Push(writer, full, Guid.NewGuid(), Bytes(300, i), limits: small));
                pushes.Add(Push(writer, other, Guid.NewGuid(), Bytes(300, 10 + i), limits: small with { MaxWorkspaceBytes = 10_000 }));
            }

            pushes.Add(Push(writer, full, Guid.NewGuid(), Bytes(100, 9), limits: small)); // exactly fills it
            writer.Start();
            await Task.WhenAll(pushes);
        });

        Assert.True(largest >= pushes.Count / 2, $"The largest batch was {largest} of {pushes.Count} queued pushes.");
        var toFull = pushes.Where((_, i) => i % 2 == 0).Select(p => p.Result).ToList();
        Assert.Equal(
            [new PushOutcome.Appended(1), new PushOutcome.Appended(2), new PushOutcome.Appended(3), new PushOutcome.OverQuota(900),
             new PushOutcome.OverQuota(900), new PushOutcome.Appended(4)],
            toFull);
        Assert.Equal(Enumerable.Range(1, 5).Select(i => (PushOutcome)new PushOutcome.Appended(i)), pushes.Where((_, i) => i % 2 == 1).Select(p => p.Result));

        var stored = await sync.Api.PullAsync(fullMaster, full, 0, Ct);
        Assert.Equal([Bytes(300, 0), Bytes(300, 1), Bytes(300, 2), Bytes(100, 9)], stored.Frames.Select(f => f.Data));
        Assert.Equal(5, (await sync.Api.PullAsync(otherMaster, other, 0, Ct)).Head);
    }

    [Fact]
    public async Task a_batch_that_fails_as_a_whole_is_written_push_by_push_and_only_the_failing_push_fails()
    {
        var (alive, _, aliveMaster) = await sync.NewWorkspaceAsync();
        var (erased, owner, _) = await sync.NewWorkspaceAsync();
        await sync.InvokeAsync(new WorkspaceErased(erased, $"owner:{owner}", DateTimeOffset.UtcNow));
        await using var writer = Paused();
        var toAlive = Enumerable.Range(0, 5).Select(i => Push(writer, alive, Guid.NewGuid(), Bytes(10, i))).ToList();
        var toErased = Push(writer, erased, Guid.NewGuid(), [1]);
        writer.Start();

        Assert.Equal(Enumerable.Range(1, 5).Select(i => new PushOutcome.Appended(i)), await Task.WhenAll(toAlive));
        var failure = await Assert.ThrowsAnyAsync<Exception>(() => toErased);
        Assert.NotNull(SyncEngine.Backend.Security.ErasedWorkspaceFault.ProblemOf(failure));
        Assert.Equal(5, (await sync.Api.PullAsync(aliveMaster, alive, 0, Ct)).Head);
    }
}
