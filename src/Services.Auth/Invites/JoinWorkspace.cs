using System.ComponentModel.DataAnnotations;
using Marten;
using SyncEngine.Backend.Apps;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Services.Auth.Tokens;
using SyncEngine.Backend.OpenApi;
using SyncEngine.ServiceDefaults.Problems;
using SyncEngine.Tokens;
using Wolverine.Http;
using JasperFx;

namespace Services.Auth.Invites;

// Nullable because JSON may omit it; Validate refuses that, and [Required] tells the OpenAPI document so.
public sealed record JoinWorkspaceRequest(Guid ClientId, [property: Required] string? InviteCode);

public sealed record JoinedWorkspace(
    string Token, Guid TokenId, [property: AllowedValues(Scopes.Read, Scopes.ReadWrite)] string Scope, DateTimeOffset? ExpiresAt);

/// <summary>What redeeming an invite amounts to, given the grant its code hashes to.</summary>
public abstract record JoinDecision
{
    private JoinDecision() { }

    /// <summary>No invite with this code, or it is another workspace's or another client's: all look the same, so a guesser learns nothing.</summary>
    public sealed record Unknown : JoinDecision;

    /// <summary>Used, revoked or expired.</summary>
    public sealed record Spent : JoinDecision;

    /// <summary>Issue the grant's token.</summary>
    public sealed record Redeem(AccessToken Access) : JoinDecision;
}

public static class JoinWorkspace
{
    public static ProblemDetails Validate(JoinWorkspaceRequest? request) =>
        request is null ? Problem.BodyRequired()
        : request.ClientId == Guid.Empty ? Problem.InvalidRequest("clientId must be a non-empty UUID.")
        : string.IsNullOrWhiteSpace(request.InviteCode) || request.InviteCode.Length > 200 ? Problem.InvalidRequest("inviteCode is required.")
        : WolverineContinue.NoProblems;

    public static JoinDecision Decide(AccessToken? invite, Guid workspaceId, Guid clientId, DateTimeOffset now) =>
        invite is null || invite.WorkspaceId != workspaceId || invite.ClientId != clientId ? new JoinDecision.Unknown()
        : invite.IssuedAt is not null || invite.RevokedAt is not null || invite.InviteExpiresAt <= now ? new JoinDecision.Spent()
        : new JoinDecision.Redeem(invite);

    /// <summary>
    /// Redeems a single-use invite. Unknown codes, codes of another workspace and codes named for another client are
    /// all the same 404, so a guesser learns nothing; a used, revoked or expired invite is 410.
    /// </summary>
    [WolverinePost("/api/workspaces/{workspaceId}/join", OperationId = "joinWorkspace", Summary = "Redeem an invite",
        Description = "Exchanges the single-use invite code granted to this client for the client's own token. No token needed.")]
    [Tags("Invites")]
    [ProblemResponse(StatusCodes.Status400BadRequest, ProblemCodes.InvalidRequest)]
    [ProblemResponse(StatusCodes.Status404NotFound, ProblemCodes.InviteInvalid,
        Description = "No invite with this code for this workspace and client.")]
    [ProblemResponse(StatusCodes.Status410Gone, ProblemCodes.InviteInvalid, Description = "The invite was used, revoked or has expired.")]
    [ProblemResponse(StatusCodes.Status403Forbidden, ProblemCodes.AppSuspended, Description = "The workspace's app is suspended; the invite stays unspent.")]
    public static async Task<Results<Ok<JoinedWorkspace>, ProblemHttpResult>> Post(
        Guid workspaceId, JoinWorkspaceRequest request, IDocumentSession session, TokenIssuer issuer, AppDirectory apps, TimeProvider clock,
        CancellationToken ct)
    {
        var hash = InviteCode.Hash(request.InviteCode!);
        var invite = await session.Query<AccessToken>().FirstOrDefaultAsync(t => t.InviteCodeHash == hash, ct);
        var now = clock.GetUtcNow();
        return Decide(invite, workspaceId, request.ClientId, now) switch
        {
            // The invite's app, like a token's on every other route: a suspended app's invites wait, unspent.
            JoinDecision.Redeem(var access) when AppEnforcement.Refuse(access.AppId, apps) is { } refused => Problem.Result(refused),
            JoinDecision.Redeem(var access) => await RedeemAsync(access, session, issuer, now, ct),
            JoinDecision.Spent => Invalid(StatusCodes.Status410Gone, "This invite was already used, revoked or has expired; ask the owner for a new one."),
            _ => Invalid(StatusCodes.Status404NotFound, "No invite with this code exists for this workspace and client."),
        };
    }

    private static async Task<Results<Ok<JoinedWorkspace>, ProblemHttpResult>> RedeemAsync(
        AccessToken access, IDocumentSession session, TokenIssuer issuer, DateTimeOffset now, CancellationToken ct)
    {
        var (token, issuedAt) = await issuer.IssueAsync(access, now, session, ct);
        access.IssuedAt = issuedAt;
        session.Update(access);
        try
        {
            // Committed here, not by Wolverine's transactional middleware (which also commits before answering): a
            // concurrent redemption fails at commit, and it must answer 410 like any spent invite, where the
            // middleware's failure is the 409 `conflict` of every other stale write (StaleWrites). Nothing is published
            // here, so there is no outgoing message to commit with it.
            await session.SaveChangesAsync(ct);
        }
        catch (ConcurrencyException)
        {
            // Drop the stale update: otherwise Wolverine's own SaveChangesAsync after the endpoint tries it again.
            session.EjectAllPendingChanges();
            return Invalid(StatusCodes.Status410Gone, "This invite was redeemed concurrently.");
        }

        return TypedResults.Ok(new JoinedWorkspace(token, access.Id, access.Scope, access.ExpiresAt));
    }

    private static ProblemHttpResult Invalid(int status, string detail) =>
        Problem.Result(Problem.Create(status, ProblemCodes.InviteInvalid, detail));
}
