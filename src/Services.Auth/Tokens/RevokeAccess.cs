using System.Security.Claims;
using Marten;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.OpenApi;
using SyncEngine.Backend.OpenApi;
using SyncEngine.Backend.Security;
using SyncEngine.Contracts.Auth;
using SyncEngine.ServiceDefaults.Problems;
using SyncEngine.Tokens;
using Wolverine;
using Wolverine.Http;

namespace Services.Auth.Tokens;

/// <summary>What a revocation amounts to, given every token the named client holds or held in the workspace.</summary>
public abstract record RevokeDecision
{
    private RevokeDecision() { }

    /// <summary>The client never had access here.</summary>
    public sealed record NotFound : RevokeDecision;

    /// <summary>
    /// End the client's access: mark <paramref name="Ending"/> (those still in force) revoked, and record the revocation
    /// with every id of the pair, not only those ending now: a validator that missed an earlier message still learns them.
    /// </summary>
    public sealed record Revoke(IReadOnlyList<AccessToken> Ending, AccessRevoked Revoked) : RevokeDecision;

    /// <summary>
    /// The owner named itself: end its other master tokens. Recorded without an instant, because the caller's own token,
    /// issued in the same second as others perhaps, must stay valid.
    /// </summary>
    public sealed record EndOtherMasterTokens(IReadOnlyList<AccessToken> Ending, MasterTokensRevoked Revoked) : RevokeDecision;

    /// <summary>The owner named itself and holds no other master token in force.</summary>
    public sealed record Nothing : RevokeDecision;
}

public static class RevokeAccess
{
    // Bound as a string so a malformed id is this 400 problem rather than a bare 404.
    public static ProblemDetails Validate(string clientId) =>
        Guid.TryParse(clientId, out _) ? WolverineContinue.NoProblems : Problem.InvalidRequest($"'{clientId}' is not a client id (a UUID).");

    /// <param name="tokens">Every token row of the pair (workspace, <paramref name="clientId"/>), revoked or not.</param>
    public static RevokeDecision Decide(
        Guid workspaceId, Guid clientId, TokenHolder caller, IReadOnlyList<AccessToken> tokens, DateTimeOffset now)
    {
        if (clientId == caller.ClientId)
        {
            var others = RevokeOtherMasterTokens.Decide(tokens, caller.TokenId);
            return others.Count == 0
                ? new RevokeDecision.Nothing()
                : new RevokeDecision.EndOtherMasterTokens(
                    others, new MasterTokensRevoked(workspaceId, clientId, others.Select(t => t.Id).ToList(), now));
        }

        return tokens.Count == 0
            ? new RevokeDecision.NotFound()
            : new RevokeDecision.Revoke(
                tokens.Where(t => t.RevokedAt is null).ToList(),
                new AccessRevoked(workspaceId, clientId, caller.ClientId, now, tokens.Select(t => t.Id).ToList()));
    }

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
    [ApiParameter("clientId", ParameterLocation.Path, typeof(Guid), "The client whose access ends.")]
    [ProblemResponse(StatusCodes.Status404NotFound, ProblemCodes.NotFound, Description = "The client has no access to this workspace.")]
    public static async Task<(Results<NoContent, ProblemHttpResult>, OutgoingMessages)> Delete(
        Guid workspaceId, string clientId, ClaimsPrincipal user, IDocumentSession session, TimeProvider clock, CancellationToken ct)
    {
        var client = Guid.Parse(clientId);
        var tokens = await session.Query<AccessToken>()
            .Where(t => t.WorkspaceId == workspaceId && t.ClientId == client)
            .ToListAsync(ct);
        var now = clock.GetUtcNow();
        // Wolverine's transactional middleware commits the rows, the revocation record and the message together (the outbox).
        switch (Decide(workspaceId, client, TokenHolder.From(user)!, tokens, now))
        {
            case RevokeDecision.Revoke revoke:
                MarkRevoked(session, revoke.Ending, now);
                await session.RecordRevocationAsync(workspaceId, client, now, revoke.Revoked.TokenIds!, ct);
                return (TypedResults.NoContent(), [revoke.Revoked]);
            case RevokeDecision.EndOtherMasterTokens end:
                MarkRevoked(session, end.Ending, now);
                await session.RecordRevocationAsync(workspaceId, client, revokedAt: null, end.Revoked.TokenIds, ct);
                return (TypedResults.NoContent(), [end.Revoked]);
            case RevokeDecision.NotFound:
                return (Problem.Result(Problem.Create(StatusCodes.Status404NotFound, ProblemCodes.NotFound,
                    $"Client {client} has no access to this workspace.")), []);
            default:
                return (TypedResults.NoContent(), []);
        }
    }

    private static void MarkRevoked(IDocumentSession session, IEnumerable<AccessToken> tokens, DateTimeOffset now)
    {
        foreach (var token in tokens)
        {
            token.RevokedAt = now;
            session.Update(token);
        }
    }
}
