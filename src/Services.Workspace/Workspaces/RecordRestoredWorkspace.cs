using JasperFx;
using Marten;
using Marten.Exceptions;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http.HttpResults;
using Services.Workspace.Apps;
using SyncEngine.Backend.Apps;
using SyncEngine.Backend.Security;
using SyncEngine.Contracts.Auth;
using SyncEngine.Contracts.Workspaces;
using SyncEngine.ServiceDefaults.Problems;
using Wolverine;
using Wolverine.Http;
using Wolverine.Runtime;

namespace Services.Workspace.Workspaces;

/// <param name="Checksum">The restored archive's SHA-256 (hex): a retry of the same restore is recognised by it.</param>
public sealed record RestoredWorkspaceRequest(
    Guid WorkspaceId, string AppId, Guid OwnerClientId, string? OwnerSubject, DateTimeOffset CreatedAt, string Checksum);

public sealed record RestoredOwner(Guid WorkspaceId, Guid OwnerClientId, string Token);

/// <summary>What recording a restored workspace amounts to, given what the stream already holds.</summary>
public abstract record RestoreDecision
{
    private RestoreDecision() { }

    public sealed record Start(WorkspaceCreated Created) : RestoreDecision;

    /// <summary>This very restore (same archive, same owner) recorded it already: a retry after a failure in Sync.</summary>
    public sealed record Retry(Workspace Workspace) : RestoreDecision;

    public sealed record Exists : RestoreDecision;
}

/// <summary>
/// <c>POST /internal/workspaces/restore</c>, asked by Sync while it restores an archive (Sync's RestoreWorkspace), as the
/// operator who sent it (the operator's token comes along): starts the workspace's stream with its owner and app, as a
/// claim does (WorkspaceClaimed in the same commit), and has Auth issue the owner a new master token. Members are not
/// restored: their tokens were of the old deployment; the owner invites them again. On the service's own port, never
/// routed by the gateway.
/// </summary>
public static class RecordRestoredWorkspace
{
    private const string KeyPrefix = "restore:";

    public static RestoreDecision Decide(Workspace? existing, RestoredWorkspaceRequest request) => existing switch
    {
        null => new RestoreDecision.Start(new WorkspaceCreated(
            request.WorkspaceId, request.OwnerClientId, ClaimWorkspace.HashKey(KeyPrefix + request.Checksum), request.CreatedAt, request.AppId,
            request.OwnerSubject)),
        _ when existing.OwnerClientId == request.OwnerClientId && existing.ClaimKeyHash == ClaimWorkspace.HashKey(KeyPrefix + request.Checksum) =>
            new RestoreDecision.Retry(existing),
        _ => new RestoreDecision.Exists(),
    };

    [WolverinePost("/internal/workspaces/restore", OperationId = "recordRestoredWorkspace")]
    [Authorize(Policy = OperatorAuthentication.Policy)]
    public static async Task<Results<Created<RestoredOwner>, ProblemHttpResult>> Post(
        RestoredWorkspaceRequest request, IDocumentSession session, IMessageBus bus, AppDirectory apps, ILogger<RestoredWorkspaceRequest> logger,
        CancellationToken ct)
    {
        if (request.WorkspaceId == Guid.Empty || request.OwnerClientId == Guid.Empty || string.IsNullOrEmpty(request.Checksum))
        {
            return Problem.Result(Problem.InvalidRequest("workspaceId, ownerClientId and checksum are required."));
        }

        if (await session.IsErasedAsync(request.WorkspaceId, ct))
        {
            return Problem.Result(Problem.Create(StatusCodes.Status410Gone, ProblemCodes.WorkspaceDeleted,
                $"Workspace {request.WorkspaceId} has been deleted here; its id cannot be used again."));
        }

        if (!AppSettingsJson.IsSlug(request.AppId) || apps.Find(request.AppId) is null)
        {
            return GetApp.NotFound(request.AppId);
        }

        var decision = Decide(await session.LoadAsync<Workspace>(request.WorkspaceId, ct), request);
        if (decision is RestoreDecision.Start start)
        {
            session.Events.StartStream<Workspace>(request.WorkspaceId, start.Created);
            await bus.PublishAsync(new WorkspaceClaimed(request.WorkspaceId, request.OwnerClientId, request.CreatedAt, request.AppId, request.OwnerSubject));
            try
            {
                await session.SaveChangesAsync(ct);
            }
            catch (Exception e) when (e is ExistingStreamIdCollisionException or ConcurrencyException)
            {
                session.EjectAllPendingChanges();
                if (bus is MessageContext context)
                {
                    await context.ClearAllAsync();
                }

                decision = new RestoreDecision.Exists();
            }
        }

        if (decision is RestoreDecision.Exists)
        {
            return Problem.Result(Problem.Create(StatusCodes.Status409Conflict, ProblemCodes.WorkspaceExists,
                $"Workspace {request.WorkspaceId} exists in this deployment; an archive restores only an id that is free here."));
        }

        try
        {
            var issued = await bus.InvokeAsync<MasterTokenIssued>(
                new IssueMasterToken(request.WorkspaceId, request.OwnerClientId, request.AppId), ct, timeout: ClaimWorkspace.TokenTimeout);
            return TypedResults.Created($"/admin/workspaces/{request.WorkspaceId}", new RestoredOwner(request.WorkspaceId, request.OwnerClientId, issued.Token));
        }
        catch (Exception e) when (!ct.IsCancellationRequested)
        {
            logger.LogWarning(e, "Auth did not issue the master token of restored workspace {WorkspaceId}", request.WorkspaceId);
            return Problem.Result(Problem.Create(StatusCodes.Status503ServiceUnavailable, ProblemCodes.Unavailable,
                "The workspace is recorded but its owner's token could not be issued right now; send the same archive again."));
        }
    }
}
