using System.ComponentModel.DataAnnotations;
using System.Security.Claims;
using Marten;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Services.Auth.Invites;
using Services.Auth.Workspaces;
using SyncEngine.Backend.OpenApi;
using SyncEngine.Backend.Security;
using SyncEngine.Contracts.Auth;
using SyncEngine.ServiceDefaults.Problems;
using SyncEngine.Tokens;
using Wolverine;
using Wolverine.Http;

namespace Services.Auth.Tokens;

// Scope is nullable because JSON may omit it; Validate refuses that, and [AllowedValues] (without null) tells the OpenAPI document.
public sealed record GrantAccessRequest(
    Guid ClientId, [property: AllowedValues(Scopes.Read, Scopes.ReadWrite)] string? Scope, long? ExpiresInSeconds = null);

public sealed record AccessGrantedResponse(
    Guid TokenId,
    Guid ClientId,
    [property: AllowedValues(Scopes.Read, Scopes.ReadWrite)] string Scope,
    DateTimeOffset? ExpiresAt,
    string InviteCode,
    DateTimeOffset InviteExpiresAt,
    string JoinPath);

public static class GrantAccess
{
    private const long MaxExpiresInSeconds = 10L * 366 * 24 * 3600;

    public static ProblemDetails Validate(GrantAccessRequest? request) =>
        request is null ? Problem.BodyRequired()
        : request.ClientId == Guid.Empty ? Problem.InvalidRequest("clientId must be a non-empty UUID.")
        : !Scopes.IsKnown(request.Scope) ? Problem.InvalidRequest($"scope must be '{Scopes.Read}' or '{Scopes.ReadWrite}'.")
        : request.ExpiresInSeconds is <= 0 or > MaxExpiresInSeconds ? Problem.InvalidRequest("expiresInSeconds must be between 1 and ten years.")
        : WolverineContinue.NoProblems;

    [WolverinePost("/api/workspaces/{workspaceId}/tokens", OperationId = "grantAccess", Summary = "Grant a client access",
        Description = "Records the grant and returns a single-use invite code that only the named client can redeem (joinWorkspace); " +
            "joinPath is the web client's join link, with the code in the fragment.")]
    [Tags("Access")]
    [Authorize(Policy = AccessPolicies.Master)]
    [ProblemResponse(StatusCodes.Status400BadRequest, ProblemCodes.InvalidRequest)]
    public static async Task<Results<Created<AccessGrantedResponse>, ProblemHttpResult>> Post(
        Guid workspaceId, GrantAccessRequest request, ClaimsPrincipal user, IDocumentSession session, IMessageBus bus,
        TimeProvider clock, CancellationToken ct)
    {
        var owner = TokenHolder.From(user)!;
        if (request.ClientId == owner.ClientId
            || (await session.LoadAsync<WorkspaceOwner>(workspaceId, ct))?.OwnerClientId == request.ClientId)
        {
            return Problem.Result(Problem.InvalidRequest("The owner already has full access; grant access to another client."));
        }

        var now = clock.GetUtcNow();
        DateTimeOffset? expiresAt = request.ExpiresInSeconds is { } seconds ? now.AddSeconds(seconds) : null;
        var code = InviteCode.New();
        var inviteExpiresAt = now + InviteCode.DefaultLifetime;
        if (expiresAt < inviteExpiresAt)
        {
            inviteExpiresAt = expiresAt.Value;
        }

        var access = new AccessToken
        {
            Id = Guid.CreateVersion7(),
            WorkspaceId = workspaceId,
            ClientId = request.ClientId,
            Scope = request.Scope!,
            GrantedBy = owner.ClientId,
            GrantedAt = now,
            ExpiresAt = expiresAt,
            InviteCodeHash = InviteCode.Hash(code),
            InviteExpiresAt = inviteExpiresAt,
        };
        session.Insert(access);
        await bus.PublishAsync(new AccessGranted(workspaceId, access.Id, access.ClientId, access.Scope, expiresAt, owner.ClientId, now));
        await session.SaveChangesAsync(ct);

        return TypedResults.Created(
            $"/api/workspaces/{workspaceId}/tokens",
            new AccessGrantedResponse(access.Id, access.ClientId, access.Scope, expiresAt, code, inviteExpiresAt, InviteCode.JoinPath(workspaceId, code)));
    }
}
