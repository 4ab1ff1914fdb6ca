using System.ComponentModel.DataAnnotations;
using System.Security.Claims;
using System.Text.Json.Serialization;
using Marten;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http.HttpResults;
using SyncEngine.Backend.OpenApi;
using SyncEngine.Backend.Security;
using SyncEngine.ServiceDefaults.Problems;
using SyncEngine.Tokens;
using Wolverine.Http;

namespace Services.Workspace.Workspaces;

public sealed record WorkspaceView(
    Guid WorkspaceId,
    Guid OwnerClientId,
    DateTimeOffset CreatedAt,
    // Absent, not empty, for members: who else belongs to a workspace is the owner's business.
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<MemberView>? Members);

// Scope is null while only a revocation of the client is known (see Member).
public sealed record MemberView(
    Guid ClientId, [property: AllowedValues(Scopes.Read, Scopes.ReadWrite, null)] string? Scope, DateTimeOffset? ExpiresAt, DateTimeOffset? RevokedAt);

public static class GetWorkspace
{
    public static WorkspaceView View(Workspace workspace, bool forMaster) => new(
        workspace.Id,
        workspace.OwnerClientId,
        workspace.CreatedAt,
        forMaster
            ? workspace.Members.OrderBy(m => m.GrantedAt ?? m.LastRevokedAt)
                .Select(m => new MemberView(m.ClientId, m.Scope, m.ExpiresAt, m.RevokedAt()))
                .ToList()
            : null);

    [WolverineGet("/api/workspaces/{workspaceId}", OperationId = "getWorkspace", Summary = "Get a workspace",
        Description = "Its owner and creation time; its members only for the master token.")]
    [Tags("Workspaces")]
    [Authorize(Policy = AccessPolicies.Member)]
    [ProblemResponse(StatusCodes.Status404NotFound, ProblemCodes.WorkspaceNotFound)]
    public static async Task<Results<Ok<WorkspaceView>, ProblemHttpResult>> Get(
        Guid workspaceId, ClaimsPrincipal user, IQuerySession session, CancellationToken ct) =>
        await session.LoadAsync<Workspace>(workspaceId, ct) is { } workspace
            ? TypedResults.Ok(View(workspace, TokenHolder.From(user)?.IsMaster == true))
            : NotFound(workspaceId);

    // A valid token for a workspace this service never saw: Auth issued it, so the claim is still on its way or lost.
    internal static ProblemHttpResult NotFound(Guid workspaceId) => Problem.Result(Problem.Create(
        StatusCodes.Status404NotFound, ProblemCodes.WorkspaceNotFound, $"Workspace {workspaceId} does not exist."));
}
