using System.Security.Claims;
using Marten;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.OpenApi;
using SyncEngine.Backend.OpenApi;
using SyncEngine.Backend.Security;
using SyncEngine.Contracts.Auth;
using SyncEngine.ServiceDefaults.Problems;
using SyncEngine.Tokens;
using Wolverine;
using Wolverine.Http;

namespace Services.Auth.Tokens;

public static class RevokeAccess
{
    /// <summary>
    /// Revokes every token and pending invite of the client for this workspace. Auth refuses them from this commit on;
    /// Workspace and Sync from when they handle <see cref="AccessRevoked"/> (milliseconds, through the outbox). The
    /// owner's own client id ends the owner's other master tokens instead (<see cref="RevokeOtherMasterTokens"/>).
    /// </summary>
    [WolverineDelete("/api/workspaces/{workspaceId}/tokens/{clientId}", OperationId = "revokeAccess", Summary = "Revoke a client's access",
        Description = "Every token and pending invite of the client for this workspace stops working within a second; its live " +
            "event streams are closed. With the owner's own client id: every master token of the workspace but the calling one " +
            "stops working, and their live event streams are closed.")]
    [Tags("Access")]
    [Authorize(Policy = AccessPolicies.Master)]
    // Bound as a string so a malformed id is a 400 problem rather than a bare 404.
    [ApiParameter("clientId", ParameterLocation.Path, typeof(Guid), "The client whose access ends.")]
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
        if (client == owner.ClientId)
        {
            await RevokeOtherMasterTokens.RevokeAsync(workspaceId, owner, session, bus, clock.GetUtcNow(), ct);
            await session.SaveChangesAsync(ct);
            return TypedResults.NoContent();
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

        // Every id of the pair, not only those revoked now: a validator that missed an earlier message still learns them.
        var tokenIds = tokens.Select(t => t.Id).ToList();
        await session.RecordRevocationAsync(workspaceId, client, now, tokenIds, ct);
        await bus.PublishAsync(new AccessRevoked(workspaceId, client, owner.ClientId, now, tokenIds));
        await session.SaveChangesAsync(ct);
        return TypedResults.NoContent();
    }
}
