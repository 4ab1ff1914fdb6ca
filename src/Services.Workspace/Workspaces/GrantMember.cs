using Marten;
using SyncEngine.Contracts.Auth;

namespace Services.Workspace.Workspaces;

public static class GrantMember
{
    /// <summary>One MemberGranted per token id: a redelivered AccessGranted adds nothing.</summary>
    public static IReadOnlyList<object> Decide(Workspace workspace, AccessGranted granted) =>
        workspace.Members.Exists(m => m.TokenIds.Contains(granted.TokenId))
            ? []
            : [new MemberGranted(granted.ClientId, granted.TokenId, granted.Scope, granted.ExpiresAt, granted.GrantedBy, granted.GrantedAt)];
}

public sealed class AccessGrantedHandler
{
    public static async Task Handle(
        AccessGranted granted, IDocumentSession session, ILogger<AccessGrantedHandler> logger, CancellationToken ct)
    {
        // Exclusive: grants and revocations of one workspace are handled one at a time, so each decision sees the
        // latest state and no append loses a version race (which would need retries, and could dead-letter).
        var stream = await session.Events.FetchForExclusiveWriting<Workspace>(granted.WorkspaceId, ct);
        if (stream.Aggregate is null)
        {
            // Auth only grants on workspaces claimed here, so this is a stray message: retrying cannot help.
            logger.LogWarning("Dropped AccessGranted for unknown workspace {WorkspaceId}", granted.WorkspaceId);
            return;
        }

        stream.AppendMany(GrantMember.Decide(stream.Aggregate, granted));
    }
}
