using Marten;
using SyncEngine.Backend.Security;
using SyncEngine.Contracts.Auth;

namespace Services.Workspace.Workspaces;

public static class RevokeMember
{
    /// <summary>A revocation no later than one already recorded for the client (a redelivery) adds nothing.</summary>
    public static IReadOnlyList<object> Decide(Workspace workspace, AccessRevoked revoked) =>
        workspace.FindMember(revoked.ClientId)?.LastRevokedAt >= revoked.RevokedAt
            ? []
            : [new MemberRevoked(revoked.ClientId, revoked.RevokedBy, revoked.RevokedAt)];
}

public sealed class AccessRevokedHandler
{
    public static async Task Handle(
        AccessRevoked revoked, IDocumentSession session, ILogger<AccessRevokedHandler> logger, CancellationToken ct)
    {
        // Exclusive, like AccessGrantedHandler: a revocation must not fail on a version race, because the revocation
        // record below commits (or is lost) with it.
        var stream = await session.Events.FetchForExclusiveWriting<Workspace>(revoked.WorkspaceId, ct);

        // This record is what makes the service refuse the client's old tokens, so it is kept even without a stream.
        await session.RecordRevocationAsync(revoked.WorkspaceId, revoked.ClientId, revoked.RevokedAt, revoked.TokenIds ?? [], ct);
        if (stream.Aggregate is null)
        {
            logger.LogWarning("No history for AccessRevoked on unknown workspace {WorkspaceId}", revoked.WorkspaceId);
            return;
        }

        stream.AppendMany(RevokeMember.Decide(stream.Aggregate, revoked));
    }
}
