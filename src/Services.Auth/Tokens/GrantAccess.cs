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

/// <summary>What a grant amounts to, given who owns the workspace.</summary>
public abstract record GrantDecision
{
    private GrantDecision() { }

    /// <summary>The named client is the owner, who has full access already.</summary>
    public sealed record OwnerHasAccess : GrantDecision;

    /// <summary>Record the grant with its invite, and tell Workspace.</summary>
    public sealed record Grant(AccessToken Access, AccessGranted Granted, AccessGrantedResponse Response) : GrantDecision;
}

public static class GrantAccess
{
    private const long MaxExpiresInSeconds = 10L * 366 * 24 * 3600;

    public static ProblemDetails Validate(GrantAccessRequest? request) =>
        request is null ? Problem.BodyRequired()
        : request.ClientId == Guid.Empty ? Problem.InvalidRequest("clientId must be a non-empty UUID.")
        : !Scopes.IsKnown(request.Scope) ? Problem.InvalidRequest($"scope must be '{Scopes.Read}' or '{Scopes.ReadWrite}'.")
        : request.ExpiresInSeconds is <= 0 or > MaxExpiresInSeconds ? Problem.InvalidRequest("expiresInSeconds must be between 1 and ten years.")
        : WolverineContinue.NoProblems;

    /// <summary>
    /// The invite lasts <see cref="InviteCode.DefaultLifetime"/>, or until the grant expires if sooner. The token id and
    /// the invite code are random, so they come in from outside.
    /// </summary>
    public static GrantDecision Decide(
        Guid workspaceId, GrantAccessRequest request, TokenHolder caller, WorkspaceOwner? owner, Guid tokenId, string inviteCode,
        DateTimeOffset now)
    {
        // The caller's own client id is the owner's even before WorkspaceClaimed has reached Auth.
        if (request.ClientId == caller.ClientId || owner?.OwnerClientId == request.ClientId)
        {
            return new GrantDecision.OwnerHasAccess();
        }

        DateTimeOffset? expiresAt = request.ExpiresInSeconds is { } seconds ? now.AddSeconds(seconds) : null;
        var inviteExpiresAt = expiresAt < now + InviteCode.DefaultLifetime ? expiresAt.Value : now + InviteCode.DefaultLifetime;
        var access = new AccessToken
        {
            Id = tokenId,
            WorkspaceId = workspaceId,
            // The workspace's app, as the granting master token carries it.
            AppId = caller.AppId,
            ClientId = request.ClientId,
            Scope = request.Scope!,
            GrantedBy = caller.ClientId,
            GrantedAt = now,
            ExpiresAt = expiresAt,
            InviteCodeHash = InviteCode.Hash(inviteCode),
            InviteExpiresAt = inviteExpiresAt,
        };
        return new GrantDecision.Grant(
            access,
            new AccessGranted(workspaceId, tokenId, request.ClientId, access.Scope, expiresAt, caller.ClientId, now),
            new AccessGrantedResponse(
                tokenId, request.ClientId, access.Scope, expiresAt, inviteCode, inviteExpiresAt, InviteCode.JoinPath(workspaceId, inviteCode)));
    }

    [WolverinePost("/api/workspaces/{workspaceId}/tokens", OperationId = "grantAccess", Summary = "Grant a client access",
        Description = "Records the grant and returns a single-use invite code that only the named client can redeem (joinWorkspace); " +
            "joinPath is the web client's join link, with the code in the fragment.")]
    [Tags("Access")]
    [Authorize(Policy = AccessPolicies.Master)]
    [ProblemResponse(StatusCodes.Status400BadRequest, ProblemCodes.InvalidRequest)]
    public static async Task<(Results<Created<AccessGrantedResponse>, ProblemHttpResult>, OutgoingMessages)> Post(
        Guid workspaceId, GrantAccessRequest request, ClaimsPrincipal user, IDocumentSession session, TimeProvider clock, CancellationToken ct)
    {
        var owner = await session.LoadAsync<WorkspaceOwner>(workspaceId, ct);
        switch (Decide(workspaceId, request, TokenHolder.From(user)!, owner, Guid.CreateVersion7(), InviteCode.New(), clock.GetUtcNow()))
        {
            case GrantDecision.Grant grant:
                session.Insert(grant.Access);
                // Wolverine's transactional middleware commits the grant and this message together (the outbox).
                return (TypedResults.Created($"/api/workspaces/{workspaceId}/tokens", grant.Response), [grant.Granted]);
            default:
                return (Problem.Result(Problem.InvalidRequest("The owner already has full access; grant access to another client.")), []);
        }
    }
}
