using Marten;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Services.Auth.Tokens;
using SyncEngine.Backend.Apps;
using SyncEngine.Backend.Security;
using SyncEngine.Contracts.Auth;
using SyncEngine.ServiceDefaults.Problems;
using Wolverine;
using Wolverine.Http;

namespace Services.Auth.Devices;

/// <summary>What <c>DELETE /admin/apps/{appId}/clients/{clientId}</c> ended.</summary>
public sealed record RevokedDevice(string AppId, Guid ClientId, IReadOnlyList<Guid> Workspaces, int Tokens);

/// <summary>
/// A lost or stolen device (docs/design.md, "Operators"): every token and pending invite of the client in every
/// workspace of the app is revoked at once, by the operator, as each workspace's owner would revoke it; Workspace and
/// Sync hear of each by the usual <see cref="AccessRevoked"/>, so the device is refused everywhere within a second and
/// its live streams end. Tokens of the same client id in other apps' workspaces are left alone.
/// </summary>
public static class RevokeDevice
{
    /// <summary>Who revoked, in the workspaces' histories: no client did, an operator did.</summary>
    public static readonly Guid Operator = Guid.Empty;

    public static ProblemDetails Validate(string clientId) =>
        Guid.TryParse(clientId, out _) ? WolverineContinue.NoProblems : Problem.InvalidRequest($"'{clientId}' is not a client id (a UUID).");

    /// <summary>The client's tokens of <paramref name="appId"/>'s workspaces (those from before apps: the default app's), by workspace.</summary>
    public static IReadOnlyList<AccessRevoked> Decide(
        string appId, bool isDefaultApp, Guid clientId, IEnumerable<AccessToken> tokens, DateTimeOffset now) =>
        tokens.Where(t => t.ClientId == clientId && (t.AppId == appId || (isDefaultApp && t.AppId is null)))
            .GroupBy(t => t.WorkspaceId)
            .Select(workspace => new AccessRevoked(workspace.Key, clientId, Operator, now, workspace.Select(t => t.Id).ToList()))
            .ToList();

    [WolverineDelete("/admin/apps/{appId}/clients/{clientId}", OperationId = "revokeDevice")]
    [Authorize(Policy = OperatorAuthentication.Policy)]
    public static async Task<(Results<Ok<RevokedDevice>, ProblemHttpResult>, OutgoingMessages)> Delete(
        string appId, string clientId, AppDirectory apps, IDocumentSession session, TimeProvider clock, CancellationToken ct)
    {
        if (apps.Find(appId) is null)
        {
            return (Problem.Result(Problem.Create(StatusCodes.Status404NotFound, ProblemCodes.AppNotFound, $"There is no app '{appId}'.")), []);
        }

        var client = Guid.Parse(clientId);
        var now = clock.GetUtcNow();
        var tokens = await session.Query<AccessToken>().Where(t => t.ClientId == client).ToListAsync(ct);
        var revocations = Decide(appId, appId == apps.DefaultAppId, client, tokens, now);
        if (revocations.Count == 0)
        {
            return (Problem.Result(Problem.Create(StatusCodes.Status404NotFound, ProblemCodes.NotFound,
                $"Client {client} has no access to any workspace of the app '{appId}'.")), []);
        }

        var revokedIds = revocations.SelectMany(r => r.TokenIds!).ToHashSet();
        foreach (var token in tokens.Where(t => revokedIds.Contains(t.Id) && t.RevokedAt is null))
        {
            token.RevokedAt = now;
            session.Update(token);
        }

        foreach (var revoked in revocations)
        {
            await session.RecordRevocationAsync(revoked.WorkspaceId, client, now, revoked.TokenIds!, ct);
        }

        // Committed with the rows and the revocation records by Wolverine's transactional middleware (the outbox).
        var outgoing = new OutgoingMessages();
        outgoing.AddRange(revocations);
        return (TypedResults.Ok(new RevokedDevice(appId, client, [.. revocations.Select(r => r.WorkspaceId)], revokedIds.Count)), outgoing);
    }
}
