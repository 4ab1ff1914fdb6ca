using System.ComponentModel.DataAnnotations;
using JasperFx.Events;
using Marten;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http.HttpResults;
using SyncEngine.Backend.OpenApi;
using SyncEngine.Backend.Security;
using SyncEngine.ServiceDefaults.Problems;
using SyncEngine.Tokens;
using Wolverine.Http;

namespace Services.Workspace.Workspaces;

/// <summary>One entry of the audit log. <see cref="ClientId"/> is whom the entry is about (null for "created").</summary>
public sealed record HistoryEntry(
    [property: AllowedValues("created", "granted", "revoked", "masters-revoked")] string Type,
    DateTimeOffset At,
    Guid Actor,
    Guid? ClientId,
    [property: AllowedValues(Scopes.Read, Scopes.ReadWrite, null)] string? Scope,
    DateTimeOffset? ExpiresAt);

public static class GetWorkspaceHistory
{
    public static HistoryEntry? Entry(object @event) => @event switch
    {
        WorkspaceCreated e => new HistoryEntry("created", e.CreatedAt, e.OwnerClientId, null, null, null),
        MemberGranted e => new HistoryEntry("granted", e.At, e.GrantedBy, e.ClientId, e.Scope, e.ExpiresAt),
        MemberRevoked e => new HistoryEntry("revoked", e.At, e.RevokedBy, e.ClientId, null, null),
        MasterTokensEnded e => new HistoryEntry("masters-revoked", e.At, e.RevokedBy, e.RevokedBy, null, null),
        _ => null,
    };

    [WolverineGet("/api/workspaces/{workspaceId}/history", OperationId = "getWorkspaceHistory", Summary = "Get a workspace's history",
        Description = "The audit log, oldest first: created, then each grant and revocation with its time and actor; " +
            "masters-revoked when the owner ended its other master tokens.")]
    [Tags("Workspaces")]
    [Authorize(Policy = AccessPolicies.Master)]
    [ProblemResponse(StatusCodes.Status404NotFound, ProblemCodes.WorkspaceNotFound)]
    public static async Task<Results<Ok<List<HistoryEntry>>, ProblemHttpResult>> Get(Guid workspaceId, IQuerySession session, CancellationToken ct)
    {
        IReadOnlyList<IEvent> events = await session.Events.FetchStreamAsync(workspaceId, token: ct);
        return events.Count == 0
            ? GetWorkspace.NotFound(workspaceId)
            : TypedResults.Ok(events.Select(e => Entry(e.Data)).OfType<HistoryEntry>().ToList());
    }
}
