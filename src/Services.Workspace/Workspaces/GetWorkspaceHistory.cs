using JasperFx.Events;
using Marten;
using Microsoft.AspNetCore.Authorization;
using SyncEngine.ServiceDefaults.Security;
using Wolverine.Http;

namespace Services.Workspace.Workspaces;

/// <summary>One entry of the audit log. <see cref="ClientId"/> is whom the entry is about (null for "created").</summary>
public sealed record HistoryEntry(
    string Type, DateTimeOffset At, Guid Actor, Guid? ClientId, string? Scope, DateTimeOffset? ExpiresAt);

public static class GetWorkspaceHistory
{
    public static HistoryEntry? Entry(object @event) => @event switch
    {
        WorkspaceCreated e => new HistoryEntry("created", e.CreatedAt, e.OwnerClientId, null, null, null),
        MemberGranted e => new HistoryEntry("granted", e.At, e.GrantedBy, e.ClientId, e.Scope, e.ExpiresAt),
        MemberRevoked e => new HistoryEntry("revoked", e.At, e.RevokedBy, e.ClientId, null, null),
        _ => null,
    };

    [WolverineGet("/api/workspaces/{workspaceId}/history")]
    [Authorize(Policy = AccessPolicies.Master)]
    public static async Task<IResult> Get(Guid workspaceId, IQuerySession session, CancellationToken ct)
    {
        IReadOnlyList<IEvent> events = await session.Events.FetchStreamAsync(workspaceId, token: ct);
        return events.Count == 0
            ? GetWorkspace.NotFound(workspaceId)
            : Results.Ok(events.Select(e => Entry(e.Data)).OfType<HistoryEntry>().ToList());
    }
}
