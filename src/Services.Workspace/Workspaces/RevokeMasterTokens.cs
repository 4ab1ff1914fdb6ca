using Marten;
using SyncEngine.Backend.Security;
using SyncEngine.Contracts.Auth;

namespace Services.Workspace.Workspaces;

public static class RevokeMasterTokens
{
    /// <summary>One history entry for the tokens not already recorded as ended (a redelivery adds nothing).</summary>
    public static IReadOnlyList<object> Decide(Workspace workspace, MasterTokensRevoked revoked)
    {
        var ended = revoked.TokenIds.Except(workspace.EndedMasterTokenIds).ToList();
        return ended.Count == 0 ? [] : [new MasterTokensEnded(ended, revoked.OwnerClientId, revoked.RevokedAt)];
    }
}

public sealed class MasterTokensRevokedHandler
{
    public static async Task Handle(
        MasterTokensRevoked revoked, IDocumentSession session, ILogger<MasterTokensRevokedHandler> logger, CancellationToken ct)
    {
        // Exclusive, like AccessRevokedHandler: the revocation record below commits (or is lost) with the history entry.
        var stream = await session.Events.FetchForExclusiveWriting<Workspace>(revoked.WorkspaceId, ct);

        // The owner's master tokens are refused by id; its other tokens, the caller's among them, stay valid.
        await session.RecordRevocationAsync(revoked.WorkspaceId, revoked.OwnerClientId, revokedAt: null, revoked.TokenIds, ct);
        if (stream.Aggregate is null)
        {
            logger.LogWarning("No history for MasterTokensRevoked on unknown workspace {WorkspaceId}", revoked.WorkspaceId);
            return;
        }

        stream.AppendMany(RevokeMasterTokens.Decide(stream.Aggregate, revoked));
    }
}
