using Marten;
using Marten.Services;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.DependencyInjection;
using SyncEngine.ServiceDefaults.Problems;

namespace SyncEngine.Backend.Security;

/// <summary>
/// What is left of an erased workspace in each service's schema: its id, when, and who asked. Every route of the id
/// answers 410 <c>workspace-deleted</c> from then on, the id cannot be claimed again, and late messages about it
/// (a grant or revocation still in a queue) store nothing.
/// </summary>
public sealed class ErasedWorkspace
{
    public Guid Id { get; set; }
    public DateTimeOffset ErasedAt { get; set; }
    public string ErasedBy { get; set; } = "";
}

public static class Erasure
{
    public static Task<bool> IsErasedAsync(this IQuerySession session, Guid workspaceId, CancellationToken ct) =>
        session.Query<ErasedWorkspace>().AnyAsync(e => e.Id == workspaceId, ct);

    /// <summary>
    /// A transaction-scoped advisory lock on the workspace: exclusive for its erasure, shared for writes that must not
    /// land after it (revocation records), so they either commit before the erasure (and are erased) or see its
    /// tombstone. Starts the session's transaction.
    /// </summary>
    public static async Task LockAgainstErasureAsync(this IDocumentSession session, Guid workspaceId, bool exclusive, CancellationToken ct)
    {
        await session.BeginTransactionAsync(ct);
        await session.QueryAsync<int>(
            exclusive
                ? "select 1 from (select pg_advisory_xact_lock(hashtextextended(?, 0))) as locked"
                : "select 1 from (select pg_advisory_xact_lock_shared(hashtextextended(?, 0))) as locked",
            ct, $"erasure:{workspaceId:N}");
    }

    /// <summary>
    /// Queues the tombstone and the removal of the workspace's revocation records: what every service does on
    /// erasure, beside its own rows. Committed with them by the caller.
    /// </summary>
    public static void RecordErasure(this IDocumentSession session, Guid workspaceId, string erasedBy, DateTimeOffset erasedAt)
    {
        session.DeleteWhere<Revocation>(r => r.WorkspaceId == workspaceId);
        session.Store(new ErasedWorkspace { Id = workspaceId, ErasedAt = erasedAt, ErasedBy = erasedBy });
    }

    public static IResult Gone(Guid workspaceId) => Results.Problem(Problem.Create(StatusCodes.Status410Gone, ProblemCodes.WorkspaceDeleted,
        $"Workspace {workspaceId} has been deleted; nothing of it is kept and its id cannot be used again."));
}

/// <summary>
/// Answers "was this workspace erased?" for every request of a workspace route. An erasure is final, so a yes is kept;
/// a no is kept for <c>Security:RevocationCacheLifetime</c> (250 ms), which bounds how long a replica answers a
/// route of a just-erased workspace as before.
/// </summary>
public sealed class ErasedWorkspaces(TimeSpan lifetime) : IDisposable
{
    private readonly MemoryCache _answers = new(new MemoryCacheOptions { SizeLimit = 100_000 });

    public async Task<bool> IsErasedAsync(IServiceProvider services, Guid workspaceId, CancellationToken ct)
    {
        if (_answers.TryGetValue(workspaceId, out bool erased))
        {
            return erased;
        }

        erased = await services.GetRequiredService<IQuerySession>().IsErasedAsync(workspaceId, ct);
        if (erased || lifetime > TimeSpan.Zero)
        {
            _answers.Set(workspaceId, erased, new MemoryCacheEntryOptions
            {
                AbsoluteExpirationRelativeToNow = erased ? TimeSpan.FromHours(1) : lifetime,
                Size = 1,
            });
        }

        return erased;
    }

    /// <summary>An erasure this replica committed or heard of: answered at once, not after a cached "no" runs out.</summary>
    public void Remember(Guid workspaceId) =>
        _answers.Set(workspaceId, true, new MemoryCacheEntryOptions { AbsoluteExpirationRelativeToNow = TimeSpan.FromHours(1), Size = 1 });

    public void Dispose() => _answers.Dispose();
}

/// <summary>
/// After any commit that stored a tombstone, this replica answers 410 for the id at once (other replicas within the
/// cache lifetime, or at once where a NOTIFY tells them, as Sync's do).
/// </summary>
public sealed class ErasureListener(ErasedWorkspaces erased) : DocumentSessionListenerBase
{
    public override Task AfterCommitAsync(IDocumentSession session, IChangeSet commit, CancellationToken token)
    {
        foreach (var tombstone in commit.Inserted.Concat(commit.Updated).OfType<ErasedWorkspace>())
        {
            erased.Remember(tombstone.Id);
        }

        return Task.CompletedTask;
    }
}
