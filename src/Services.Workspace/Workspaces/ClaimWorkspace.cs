using Marten;
using Marten.Exceptions;
using Microsoft.AspNetCore.Mvc;
using SyncEngine.Contracts.Workspaces;
using SyncEngine.ServiceDefaults.Problems;
using Wolverine;
using Wolverine.Http;

namespace Services.Workspace.Workspaces;

public sealed record ClaimWorkspaceRequest(Guid WorkspaceId, Guid ClientId);

public sealed record ClaimedWorkspace(Guid WorkspaceId, Guid OwnerClientId, DateTimeOffset CreatedAt);

public static class ClaimWorkspace
{
    public static ProblemDetails Validate(ClaimWorkspaceRequest request) =>
        request.WorkspaceId == Guid.Empty ? Problem.InvalidRequest("workspaceId must be a non-empty UUID.")
        : request.ClientId == Guid.Empty ? Problem.InvalidRequest("clientId must be a non-empty UUID.")
        : WolverineContinue.NoProblems;

    [WolverinePost("/api/workspaces")]
    public static async Task<IResult> Post(
        ClaimWorkspaceRequest request, IDocumentSession session, IMessageBus bus, TimeProvider clock, CancellationToken ct)
    {
        if (await session.Events.FetchStreamStateAsync(request.WorkspaceId, ct) is not null)
        {
            return Exists(request.WorkspaceId);
        }

        var created = new WorkspaceCreated(request.WorkspaceId, request.ClientId, clock.GetUtcNow());
        session.Events.StartStream<Workspace>(request.WorkspaceId, created);
        // Enrolled in the session's outbox: the message is committed with the stream or not at all.
        await bus.PublishAsync(new WorkspaceClaimed(created.WorkspaceId, created.OwnerClientId, created.CreatedAt));
        try
        {
            await session.SaveChangesAsync(ct);
        }
        catch (ExistingStreamIdCollisionException)
        {
            return Exists(request.WorkspaceId);
        }

        return Results.Created(
            $"/api/workspaces/{created.WorkspaceId}",
            new ClaimedWorkspace(created.WorkspaceId, created.OwnerClientId, created.CreatedAt));
    }

    private static IResult Exists(Guid workspaceId) => Problem.Result(Problem.Create(
        StatusCodes.Status409Conflict, ProblemCodes.WorkspaceExists, $"Workspace {workspaceId} has already been claimed."));
}
