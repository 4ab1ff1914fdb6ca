using Marten;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http.HttpResults;
using SyncEngine.Backend.OpenApi;
using SyncEngine.Backend.Security;
using SyncEngine.Contracts.Workspaces;
using SyncEngine.ServiceDefaults.Problems;
using SyncEngine.Tokens;
using Wolverine;
using Wolverine.Http;

namespace Services.Workspace.Workspaces;

/// <summary>
/// Erasure ("delete my data"): the owner's <c>DELETE /api/workspaces/{id}</c> and the operator's
/// <c>DELETE /admin/workspaces/{id}</c>. This service deletes the workspace's events, stream and snapshot and its
/// revocation records, keeps a tombstone, and publishes <see cref="WorkspaceErased"/> in the same transaction, so Auth
/// and Sync erase theirs however late they hear of it. From then on every route of the id is 410
/// <c>workspace-deleted</c> (SyncEngine.Backend checks the tombstone before anything else) and it cannot be claimed.
/// </summary>
public static class EraseWorkspace
{
    [WolverineDelete("/api/workspaces/{workspaceId}", OperationId = "deleteWorkspace", Summary = "Delete a workspace and everything of it",
        Description = "The owner erases the workspace in every service: its changes, snapshots, tokens, invites and history. " +
            "Afterwards every route of the id answers 410 workspace-deleted, live streams end, and the id cannot be claimed again.")]
    [Tags("Workspaces")]
    [Authorize(Policy = AccessPolicies.Master)]
    [ProblemResponse(StatusCodes.Status404NotFound, ProblemCodes.WorkspaceNotFound)]
    [ProblemResponse(StatusCodes.Status410Gone, ProblemCodes.WorkspaceDeleted)]
    public static Task<(IResult, OutgoingMessages)> ByOwner(
        Guid workspaceId, HttpContext http, IDocumentSession session, TimeProvider clock, CancellationToken ct) =>
        EraseAsync(workspaceId, $"owner:{TokenHolder.From(http.User)!.ClientId}", session, clock, ct);

    [WolverineDelete("/admin/workspaces/{workspaceId}", OperationId = "eraseWorkspace")]
    [Authorize(Policy = OperatorAuthentication.Policy)]
    public static Task<(IResult, OutgoingMessages)> ByOperator(
        Guid workspaceId, HttpContext http, IDocumentSession session, TimeProvider clock, CancellationToken ct) =>
        EraseAsync(workspaceId, $"operator:{http.User.FindFirst(TokenClaims.Subject)?.Value}", session, clock, ct);

    private static async Task<(IResult, OutgoingMessages)> EraseAsync(
        Guid workspaceId, string erasedBy, IDocumentSession session, TimeProvider clock, CancellationToken ct)
    {
        // Exclusive: a revocation record racing the erasure either commits first (and is erased below) or sees the
        // tombstone.
        await session.LockAgainstErasureAsync(workspaceId, exclusive: true, ct);
        if (await session.IsErasedAsync(workspaceId, ct))
        {
            return (Erasure.Gone(workspaceId), []);
        }

        if (await session.Events.FetchStreamStateAsync(workspaceId, ct) is null)
        {
            return (GetWorkspace.NotFound(workspaceId), []);
        }

        var now = clock.GetUtcNow();
        var schema = session.DocumentStore.Options.Events.DatabaseSchemaName;
        // The events are deleted, not archived: Marten's archive keeps their data, and nothing of the workspace may remain
        // but the tombstone. The stream's row stays, archived (its id, type, version and times: nothing of the workspace's
        // content), so a claim of the id can never start the stream again, even one racing this erasure.
        session.QueueSqlCommand($"delete from {schema}.mt_events where stream_id = ?", workspaceId);
        session.QueueSqlCommand($"update {schema}.mt_streams set is_archived = true where id = ?", workspaceId);
        session.Delete<Workspace>(workspaceId);
        session.RecordErasure(workspaceId, erasedBy, now);
        return (Results.NoContent(), [new WorkspaceErased(workspaceId, erasedBy, now)]);
    }
}
