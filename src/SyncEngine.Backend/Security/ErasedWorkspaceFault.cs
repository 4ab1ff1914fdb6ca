using Microsoft.AspNetCore.Mvc;
using Npgsql;
using SyncEngine.ServiceDefaults.Problems;

namespace SyncEngine.Backend.Security;

/// <summary>
/// A write that reached the database for a workspace erased meanwhile (after this replica's check, before its
/// commit): Sync's log lock raises this SQLSTATE rather than open a new log for it, and the client gets 410
/// <c>workspace-deleted</c>, as if the check had already seen the tombstone.
/// </summary>
public static class ErasedWorkspaceFault
{
    public const string SqlState = "P0410";

    public static ProblemDetails? ProblemOf(Exception exception) =>
        exception is PostgresException { SqlState: SqlState } or ErasedWorkspaceException
            ? Problem.Create(Microsoft.AspNetCore.Http.StatusCodes.Status410Gone, ProblemCodes.WorkspaceDeleted,
                "The workspace has been deleted; nothing of it is kept and its id cannot be used again.")
            : null;
}

/// <summary>A read found the workspace's tombstone where its rows were: answered as 410 <c>workspace-deleted</c>.</summary>
public sealed class ErasedWorkspaceException(Guid workspaceId) : Exception($"Workspace {workspaceId} was erased.");
