using Marten;

namespace SyncEngine.ServiceDefaults.Security;

/// <summary>
/// A revoked (workspace, client) pair, kept durably in each service's own schema: every token of the pair issued at
/// or before <see cref="RevokedAt"/> is refused. A later revocation moves the instant forward, never back.
/// </summary>
public sealed class Revocation
{
    public string Id { get; set; } = "";
    public Guid WorkspaceId { get; set; }
    public Guid ClientId { get; set; }
    public DateTimeOffset RevokedAt { get; set; }

    public static string KeyOf(Guid workspaceId, Guid clientId) => $"{workspaceId:N}:{clientId:N}";
}

public static class RevocationStore
{
    public static async Task RecordRevocationAsync(
        this IDocumentSession session, Guid workspaceId, Guid clientId, DateTimeOffset revokedAt, CancellationToken ct)
    {
        var id = Revocation.KeyOf(workspaceId, clientId);
        var existing = await session.LoadAsync<Revocation>(id, ct);
        if (existing is null || existing.RevokedAt < revokedAt)
        {
            session.Store(new Revocation { Id = id, WorkspaceId = workspaceId, ClientId = clientId, RevokedAt = revokedAt });
        }
    }

    /// <summary>
    /// JWT <c>iat</c> has whole seconds, so a token counts as revoked when its iat is at or before the revocation's second.
    /// Auth therefore issues post-revocation tokens with an iat in a later second (see Auth's TokenIssuer).
    /// </summary>
    public static bool Covers(this Revocation revocation, DateTimeOffset issuedAt) =>
        issuedAt.ToUnixTimeSeconds() <= revocation.RevokedAt.ToUnixTimeSeconds();

    public static async Task<Revocation?> FindRevocationAsync(this IQuerySession session, Guid workspaceId, Guid clientId, CancellationToken ct) =>
        await session.LoadAsync<Revocation>(Revocation.KeyOf(workspaceId, clientId), ct);
}
