using Marten;

namespace SyncEngine.Backend.Security;

/// <summary>
/// A revoked (workspace, client) pair, kept durably in each service's own schema: every token of the pair issued at
/// or before <see cref="RevokedAt"/> is refused, and so is every token whose id is in <see cref="TokenIds"/>. A later
/// revocation moves the instant forward, never back, and adds its token ids.
/// </summary>
/// <remarks>
/// The instant alone is not enough: JWT iat has whole seconds and Auth issues a token granted again after a revocation
/// in the next second, so a second revocation within that same second would not cover it (issue #10). Token ids do not
/// depend on timing. The instant stays for revocations recorded before token ids were (they carry none).
/// </remarks>
public sealed class Revocation
{
    public string Id { get; set; } = "";
    public Guid WorkspaceId { get; set; }
    public Guid ClientId { get; set; }
    public DateTimeOffset RevokedAt { get; set; }
    public List<Guid> TokenIds { get; set; } = [];

    public static string KeyOf(Guid workspaceId, Guid clientId) => $"{workspaceId:N}:{clientId:N}";

    /// <summary>
    /// The pair's record after one more revocation: the later instant, and the union of token ids. A revocation of
    /// single tokens (the owner ending its other master tokens) passes no instant, so the pair's other tokens stay valid.
    /// </summary>
    public static Revocation Merge(Revocation? existing, Guid workspaceId, Guid clientId, DateTimeOffset? revokedAt, IEnumerable<Guid> tokenIds)
    {
        var instant = existing?.RevokedAt ?? DateTimeOffset.MinValue;
        return new Revocation
        {
            Id = KeyOf(workspaceId, clientId),
            WorkspaceId = workspaceId,
            ClientId = clientId,
            RevokedAt = revokedAt > instant ? revokedAt.Value : instant,
            TokenIds = (existing?.TokenIds ?? []).Union(tokenIds).ToList(),
        };
    }
}

public static class RevocationStore
{
    /// <summary>
    /// Records a revocation of the pair. Replicas handle revocations of one pair concurrently (two quick revocations
    /// reach two Sync replicas), so the read-merge-write holds a transaction-scoped advisory lock on the pair: without
    /// it the later write would drop the earlier one's token ids.
    /// </summary>
    public static async Task RecordRevocationAsync(
        this IDocumentSession session, Guid workspaceId, Guid clientId, DateTimeOffset? revokedAt, IEnumerable<Guid> tokenIds,
        CancellationToken ct)
    {
        var id = Revocation.KeyOf(workspaceId, clientId);
        await session.BeginTransactionAsync(ct);
        await session.QueryAsync<int>("select 1 from (select pg_advisory_xact_lock(hashtextextended(?, 0))) as locked", ct, $"revocation:{id}");
        // Shared with every other revocation of the workspace, exclusive with its erasure: a revocation that arrives
        // after the erasure (or commits beside it) stores nothing, so no row of an erased workspace comes back.
        await session.LockAgainstErasureAsync(workspaceId, exclusive: false, ct);
        if (await session.IsErasedAsync(workspaceId, ct))
        {
            return;
        }

        var existing = await session.LoadAsync<Revocation>(id, ct);
        session.Store(Revocation.Merge(existing, workspaceId, clientId, revokedAt, tokenIds));
    }

    /// <summary>
    /// JWT <c>iat</c> has whole seconds, so a token counts as revoked when its iat is at or before the revocation's second.
    /// Auth therefore issues post-revocation tokens with an iat in a later second (see Auth's TokenIssuer).
    /// </summary>
    public static bool Covers(this Revocation revocation, DateTimeOffset issuedAt) =>
        issuedAt.ToUnixTimeSeconds() <= revocation.RevokedAt.ToUnixTimeSeconds();

    /// <summary>Whether a token of the pair, with this iat and jti, is refused: issued by the revoked instant, or revoked by id.</summary>
    public static bool Refuses(this Revocation? revocation, DateTimeOffset issuedAt, Guid tokenId) =>
        revocation is not null && (revocation.Covers(issuedAt) || revocation.TokenIds.Contains(tokenId));

    public static async Task<Revocation?> FindRevocationAsync(this IQuerySession session, Guid workspaceId, Guid clientId, CancellationToken ct) =>
        await session.LoadAsync<Revocation>(Revocation.KeyOf(workspaceId, clientId), ct);
}
