using System.Security.Claims;
using Marten;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.OpenApi;
using Services.Auth.Workspaces;
using SyncEngine.Contracts.Auth;
using SyncEngine.ServiceDefaults.OpenApi;
using SyncEngine.ServiceDefaults.Problems;
using SyncEngine.ServiceDefaults.Security;
using Wolverine;
using Wolverine.Http;

namespace Services.Auth.Tokens;

public static class RevokeAccess
{
    /// <summary>
    /// Revokes every token and pending invite of the client for this workspace. Auth refuses them from this commit on;
    /// Workspace and Sync from when they handle <see cref="AccessRevoked"/> (milliseconds, through the outbox).
    /// </summary>
    [WolverineDelete("/api/workspaces/{workspaceId}/tokens/{clientId}", OperationId = "revokeAccess", Summary = "Revoke a client's access",
        Description = "Every token and pending invite of the client for this workspace stops working within a second; its live " +
            "event stream is closed.")]
    [Tags("Access")]
    [Authorize(Policy = AccessPolicies.Master)]
    // Bound as a string so a malformed id is a 400 problem rather than a bare 404.
    [ApiParameter("clientId", ParameterLocation.Path, typeof(Guid), "The client whose access ends.")]
    [ProblemResponse(StatusCodes.Status403Forbidden, ProblemCodes.Forbidden, Description = "The owner's own access cannot be revoked.")]
    [ProblemResponse(StatusCodes.Status404NotFound, ProblemCodes.NotFound, Description = "The client has no access to this workspace.")]
    public static async Task<Results<NoContent, ProblemHttpResult>> Delete(
        Guid workspaceId, string clientId, ClaimsPrincipal user, IDocumentSession session, IMessageBus bus,
        TimeProvider clock, CancellationToken ct)
    {
        if (!Guid.TryParse(clientId, out var client))
        {
            return Problem.Result(Problem.InvalidRequest($"'{clientId}' is not a client id (a UUID)."));
        }

        var owner = TokenHolder.From(user)!;
        if (client == owner.ClientId || (await session.LoadAsync<WorkspaceOwner>(workspaceId, ct))?.OwnerClientId == client)
        {
            return Problem.Result(Problem.Create(StatusCodes.Status403Forbidden, ProblemCodes.Forbidden,
                "The owner's own access cannot be revoked."));
        }

        var tokens = await session.Query<AccessToken>()
            .Where(t => t.WorkspaceId == workspaceId && t.ClientId == client)
            .ToListAsync(ct);
        if (tokens.Count == 0)
        {
            return Problem.Result(Problem.Create(StatusCodes.Status404NotFound, ProblemCodes.NotFound,
                $"Client {client} has no access to this workspace."));
        }

        var now = clock.GetUtcNow();
        foreach (var token in tokens.Where(t => t.RevokedAt is null))
        {
            token.RevokedAt = now;
            session.Update(token);
        }

        await session.RecordRevocationAsync(workspaceId, client, now, ct);
        await bus.PublishAsync(new AccessRevoked(workspaceId, client, owner.ClientId, now));
        await session.SaveChangesAsync(ct);
        return TypedResults.NoContent();
    }
}
