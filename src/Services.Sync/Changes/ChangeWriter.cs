using System.Diagnostics;
using System.Security.Cryptography;
using System.Threading.Channels;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Services.Sync.Changes;

/// <summary>
/// Group commit: concurrent pushes on this replica (HTTP and socket alike) are appended in one transaction and one
/// round trip, one <c>sync.append_change</c> per push in a batch. Each push is still decided under its workspace's row
/// lock, so seqs stay gap-free, keys idempotent, versions gated and quotas exact; each is acknowledged only after the
/// batch's commit. A batch is what queued while the previous one was being written (at most
/// <c>Sync:GroupCommitMaxBatch</c>): a push never waits for others to arrive, so one client alone sees one round
/// trip, as before. Within a batch, pushes run in workspace order, on every replica, so two batches never lock two
/// workspaces crosswise.
/// </summary>
/// <remarks>
/// Pushes of an app with <c>maxAppBytes</c> are written alone: such a push takes the app's lock after its row lock,
/// and a batch holding the app's lock while waiting for another row could deadlock with a batch holding that row and
/// waiting for the app's lock. When a batch fails as a whole (a workspace erased meanwhile raises, a deadlock with
/// something else), each of its pushes is written again alone and answered by its own outcome: nothing of the failed
/// batch was committed. The writers are plain tasks rather than a hosted service because they must outlive the
/// hosted services at shutdown: requests still draining through Kestrel need them, and the container disposes this
/// only after the server stopped.
/// </remarks>
public sealed class ChangeWriter : IAsyncDisposable
{
    private sealed record Pending(
        Guid WorkspaceId, PushHeaders Headers, CheckedBody Body, Guid ClientId, MaxSchemaVersion.Limits Limits, TaskCompletionSource<PushOutcome> Done,
        ActivityContext Caller);

    public const string ActivitySourceName = "SyncEngine.Sync.GroupCommit";

    /// <summary>
    /// A batch's span: the child of its push's span when it holds one push, otherwise a root linked to every push's span
    /// (a span has one parent), so each push's trace leads to the commit that stored it and its database work.
    /// </summary>
    private static readonly ActivitySource Tracing = new(ActivitySourceName);

    private readonly NpgsqlDataSource _db;
    private readonly int _maxBatch;
    private readonly SyncMetrics _metrics;
    private readonly ILogger<ChangeWriter> _logger;
    private readonly Channel<Pending> _queue = Channel.CreateUnbounded<Pending>();
    private Task[] _writers = [];

    /// <param name="start">False leaves the writers to <see cref="Start"/>: a test queues pushes first, to see them batched.</param>
    public ChangeWriter(NpgsqlDataSource db, IOptions<SyncOptions> options, SyncMetrics metrics, ILogger<ChangeWriter> logger, bool start = true)
    {
        (_db, _metrics, _logger) = (db, metrics, logger);
        _maxBatch = Math.Max(1, options.Value.GroupCommitMaxBatch);
        if (start)
        {
            Start();
        }
    }

    private bool GroupsCommits => _maxBatch > 1;

    public void Start()
    {
        // Two writers: one batch is written while the next one gathers, so a commit's fsync does not idle the replica.
        if (GroupsCommits && _writers.Length == 0)
        {
            _writers = [Task.Run(WriteLoopAsync), Task.Run(WriteLoopAsync)];
        }
    }

    /// <summary>Appends one push and returns what it amounted to, after the commit that stored it (if it was stored).</summary>
    public Task<PushOutcome> AppendAsync(
        Guid workspaceId, PushHeaders headers, CheckedBody body, Guid clientId, MaxSchemaVersion.Limits limits, CancellationToken ct)
    {
        if (!GroupsCommits || limits.MaxAppBytes is not null)
        {
            return PushChange.AppendAsync(_db, workspaceId, headers, body, clientId, limits, ct);
        }

        var pending = new Pending(workspaceId, headers, body, clientId, limits,
            new TaskCompletionSource<PushOutcome>(TaskCreationOptions.RunContinuationsAsynchronously), Activity.Current?.Context ?? default);
        if (!_queue.Writer.TryWrite(pending))
        {
            return PushChange.AppendAsync(_db, workspaceId, headers, body, clientId, limits, ct);
        }

        // A caller that gives up does not take its push back: it may commit, and a retry with its key finds it.
        return pending.Done.Task.WaitAsync(ct);
    }

    private async Task WriteLoopAsync()
    {
        var batch = new List<Pending>(_maxBatch);
        while (await _queue.Reader.WaitToReadAsync())
        {
            batch.Clear();
            while (batch.Count < _maxBatch && _queue.Reader.TryRead(out var pending))
            {
                batch.Add(pending);
            }

            if (batch.Count > 0)
            {
                _metrics.CommitBatch(batch.Count);
                using var activity = batch.Count == 1
                    ? Tracing.StartActivity("sync group commit", ActivityKind.Internal, batch[0].Caller)
                    : Tracing.StartActivity("sync group commit", ActivityKind.Internal, parentContext: default,
                        links: batch.Where(p => p.Caller != default).Select(p => new ActivityLink(p.Caller)));
                activity?.SetTag("syncengine.batch.pushes", batch.Count);
                await WriteAsync(batch);
            }
        }
    }

    private async Task WriteAsync(List<Pending> batch)
    {
        if (batch.Count > 1)
        {
            // Stable: pushes of one workspace keep the order they queued in.
            batch = [.. batch.OrderBy(p => p.WorkspaceId)];
            try
            {
                var outcomes = await AppendBatchAsync(batch);
                for (var i = 0; i < batch.Count; i++)
                {
                    batch[i].Done.TrySetResult(outcomes[i]);
                }

                return;
            }
            catch (Exception e)
            {
                _logger.LogDebug(e, "A batch of {Count} pushes failed; writing each alone", batch.Count);
            }
        }

        foreach (var pending in batch)
        {
            try
            {
                pending.Done.TrySetResult(await PushChange.AppendAsync(
                    _db, pending.WorkspaceId, pending.Headers, pending.Body, pending.ClientId, pending.Limits, CancellationToken.None));
            }
            catch (Exception e)
            {
                pending.Done.TrySetException(e);
            }
        }
    }

    /// <summary>One round trip: the batch's statements run in one implicit transaction, committed before the last answer is read.</summary>
    private async Task<PushOutcome[]> AppendBatchAsync(List<Pending> batch)
    {
        await using var connection = await _db.OpenConnectionAsync();
        await using var command = connection.CreateBatch();
        foreach (var pending in batch)
        {
            var append = new NpgsqlBatchCommand(PushChange.AppendSql);
            PushChange.AddAppendParameters(append.Parameters, pending.WorkspaceId, pending.Headers, SHA256.HashData(pending.Body.Data),
                pending.Body, pending.ClientId, pending.Limits);
            command.BatchCommands.Add(append);
        }

        var outcomes = new PushOutcome[batch.Count];
        await using (var reader = await command.ExecuteReaderAsync())
        {
            for (var i = 0; i < batch.Count; i++)
            {
                if (i > 0 && !await reader.NextResultAsync())
                {
                    throw new InvalidOperationException("A batch of pushes answered fewer results than it had pushes.");
                }

                await reader.ReadAsync();
                outcomes[i] = PushOutcome.Read(reader.GetString(0), reader.GetInt64(1), reader.GetInt32(2), reader.GetInt64(3), batch[i].Body.Format);
            }

            // To the end of the batch: its commit's result (an error, if it failed) arrives after the last row.
            while (await reader.NextResultAsync())
            {
            }
        }

        return outcomes;
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await Task.WhenAll(_writers);
    }
}
