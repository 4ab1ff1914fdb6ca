using System.Security.Cryptography;
using System.Text;
using JasperFx;
using Marten;
using Marten.Exceptions;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using Microsoft.OpenApi;
using SyncEngine.Backend.Apps;
using SyncEngine.Backend.OpenApi;
using SyncEngine.Backend.Security;
using SyncEngine.Contracts.Apps;
using SyncEngine.Contracts.Auth;
using SyncEngine.Contracts.Workspaces;
using SyncEngine.ServiceDefaults.Problems;
using Wolverine;
using Wolverine.Http;
using Wolverine.Runtime;

namespace Services.Workspace.Workspaces;

/// <param name="AppId">The app the workspace belongs to; omitted, the deployment's default app (Apps:Default).</param>
public sealed record ClaimWorkspaceRequest(Guid WorkspaceId, Guid ClientId, string? AppId = null);

public sealed record ClaimedWorkspace(Guid WorkspaceId, Guid OwnerClientId, DateTimeOffset CreatedAt, string Token);

/// <summary>What a claim of a workspace id amounts to, given what the stream already holds.</summary>
public abstract record ClaimDecision
{
    private ClaimDecision() { }

    /// <summary>The id is free: start the stream with this event.</summary>
    public sealed record Start(WorkspaceCreated Created) : ClaimDecision;

    /// <summary>The same client with the same key claimed it already: a retry after a lost response.</summary>
    public sealed record Retry(Workspace Workspace) : ClaimDecision;

    /// <summary>
    /// Someone else's claim, the same client's with another key, a retry after the retry window, or one after the owner
    /// ended its other master tokens.
    /// </summary>
    public sealed record Exists : ClaimDecision;

    /// <summary>A new workspace would take the app past its <c>maxWorkspaces</c>: nothing is stored.</summary>
    public sealed record OverQuota(long Limit, long Used) : ClaimDecision;
}

/// <summary>Claim settings (section <c>Workspace</c>).</summary>
public sealed class ClaimOptions
{
    /// <summary>How long after a claim its Idempotency-Key still gets the master token again (a retry after a lost response).</summary>
    public TimeSpan ClaimRetryWindow { get; set; } = TimeSpan.FromHours(24);
}

public sealed class ClaimWorkspace
{
    public const string IdempotencyKeyHeader = "Idempotency-Key";
    public const int MaxIdempotencyKeyLength = 200;
    public static readonly TimeSpan TokenTimeout = TimeSpan.FromSeconds(5);

    public static ProblemDetails Validate(
        ClaimWorkspaceRequest? request, [FromHeader(Name = IdempotencyKeyHeader)] string? idempotencyKey) =>
        request is null ? Problem.BodyRequired()
        : string.IsNullOrWhiteSpace(idempotencyKey) ? Problem.InvalidRequest($"The {IdempotencyKeyHeader} header is required.")
        : idempotencyKey.Length > MaxIdempotencyKeyLength
            ? Problem.InvalidRequest($"The {IdempotencyKeyHeader} header is longer than {MaxIdempotencyKeyLength} characters.")
        : request.WorkspaceId == Guid.Empty ? Problem.InvalidRequest("workspaceId must be a non-empty UUID.")
        : request.ClientId == Guid.Empty ? Problem.InvalidRequest("clientId must be a non-empty UUID.")
        : WolverineContinue.NoProblems;

    /// <summary>
    /// A retry is recognised only within <paramref name="retryWindow"/> of the claim, counted from the claim and not from
    /// a failed token issue, and only until the owner ends its other master tokens (which clears the key's hash): each
    /// retry mints another master token, so a leaked Idempotency-Key must not be a way to mint them forever, nor right
    /// after the owner ended the ones minted so far.
    /// </summary>
    public static ClaimDecision Decide(
        Workspace? existing, ClaimWorkspaceRequest request, string claimKey, DateTimeOffset now, TimeSpan retryWindow, string? appId = null,
        string? ownerSubject = null) =>
        existing switch
        {
            null => new ClaimDecision.Start(new WorkspaceCreated(request.WorkspaceId, request.ClientId, HashKey(claimKey), now, appId, ownerSubject)),
            _ when existing.OwnerClientId == request.ClientId
                && (existing.ClaimKeyHash ?? (existing.ClaimKey is { } plain ? HashKey(plain) : null)) == HashKey(claimKey)
                && now - existing.CreatedAt <= retryWindow
                // Apply(MasterTokensEnded) clears the key's hash; this also covers snapshots written before it did.
                && existing.EndedMasterTokenIds.Count == 0 =>
                new ClaimDecision.Retry(existing),
            _ => new ClaimDecision.Exists(),
        };

    /// <summary>What is stored of a claim's Idempotency-Key: whoever reads the store must not be able to replay the claim.</summary>
    public static string HashKey(string claimKey) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(claimKey)));

    [WolverinePost("/api/workspaces", OperationId = "claimWorkspace", Summary = "Claim a new workspace",
        Description = "The caller becomes the owner and gets the master token. A retry with the same Idempotency-Key and " +
            "clientId (after a lost response) gets the owner's master token again, within the retry window after the claim (24 hours by default) " +
            "and until the owner ends its other master tokens.")]
    [Tags("Workspaces")]
    [ApiParameter(IdempotencyKeyHeader, ParameterLocation.Header, typeof(string),
        "A random key the client keeps with the claim, at most 200 characters; a retry sends the same.", Required = true)]
    [ProblemResponse(StatusCodes.Status400BadRequest, ProblemCodes.InvalidRequest)]
    [ProblemResponse(StatusCodes.Status409Conflict, ProblemCodes.WorkspaceExists,
        Description = "Claimed already, by another client, with another Idempotency-Key, longer ago than the retry window, " +
            "or the owner has ended its other master tokens since.")]
    [ProblemResponse(StatusCodes.Status403Forbidden, ProblemCodes.AppSuspended, Description = "The app is suspended.")]
    [ProblemResponse(StatusCodes.Status403Forbidden, ProblemCodes.QuotaExceeded, Description = "The app has its maxWorkspaces.")]
    [ProblemResponse(StatusCodes.Status404NotFound, ProblemCodes.AppNotFound, Description = "No app with that appId.")]
    [ProblemResponse(StatusCodes.Status429TooManyRequests, ProblemCodes.RateLimited, Description = "The app's claimsPerMinutePerAddress.")]
    [ProblemResponse(StatusCodes.Status410Gone, ProblemCodes.WorkspaceDeleted, Description = "The id belonged to a workspace that was deleted.")]
    [ProblemResponse(StatusCodes.Status503ServiceUnavailable, ProblemCodes.Unavailable,
        Description = "The claim is recorded but its token could not be issued yet: retry with the same Idempotency-Key.")]
    public static async Task<Results<Created<ClaimedWorkspace>, ProblemHttpResult>> Post(
        ClaimWorkspaceRequest request,
        [FromHeader(Name = IdempotencyKeyHeader)] string idempotencyKey,
        IDocumentSession session,
        IMessageBus bus,
        HttpContext http,
        AppDirectory apps,
        ClaimRate rate,
        AppTokens appTokens,
        TimeProvider clock,
        IOptions<ClaimOptions> options,
        ILogger<ClaimWorkspace> logger,
        CancellationToken ct)
    {
        if (await session.IsErasedAsync(request.WorkspaceId, ct))
        {
            return Problem.Result(Problem.Create(StatusCodes.Status410Gone, ProblemCodes.WorkspaceDeleted,
                $"Workspace {request.WorkspaceId} has been deleted; its id cannot be claimed again."));
        }

        // The app: known, not suspended, and this address within its claims per minute (ClaimApp).
        var (app, refused) = ClaimApp.Resolve(request.AppId, apps);
        if (refused is not null)
        {
            return Problem.Result(refused);
        }

        if (app is not null && rate.Refuse(app.Settings, http.Connection.RemoteIpAddress, clock.GetUtcNow()) is { } limited)
        {
            http.Response.Headers.RetryAfter = limited.RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
            return Problem.Result(limited.Problem);
        }

        string? ownerSubject = null;
        if (app?.Settings.ClaimPolicy == AppSettings.AppTokenPolicy)
        {
            var (subject, badToken) = await appTokens.ValidateAsync(app.Settings, http.Request.Headers.Authorization, ct);
            if (badToken is not null)
            {
                return Problem.Result(badToken);
            }

            ownerSubject = subject;
        }

        var window = options.Value.ClaimRetryWindow;
        var appId = app?.Id;
        var decision = Decide(await session.LoadAsync<Workspace>(request.WorkspaceId, ct), request, idempotencyKey, clock.GetUtcNow(), window, appId,
            ownerSubject);
        if (decision is ClaimDecision.Start start)
        {
            var started = await TryStartAsync(start.Created, app?.Settings.Quotas.MaxWorkspaces, apps.DefaultAppId, session, bus, ct);
            if (started is ClaimDecision.OverQuota over)
            {
                return Problem.Result(QuotaProblem.Create("maxWorkspaces", over.Limit, over.Used,
                    $"The app '{appId}' has {over.Used} workspaces, its limit (maxWorkspaces); nothing was stored."));
            }

            if (started is null)
            {
                // A concurrent claim of the same id committed first; only the very same claim (a retry) may still succeed.
                // Read it through a session of its own: this one still holds the aggregate of the stream it failed to start.
                await using var query = session.DocumentStore.QuerySession();
                var winner = await query.LoadAsync<Workspace>(request.WorkspaceId, ct);
                decision = Decide(winner, request, idempotencyKey, clock.GetUtcNow(), window, appId) is ClaimDecision.Retry retry
                    ? retry
                    : new ClaimDecision.Exists();
            }
        }

        return decision switch
        {
            ClaimDecision.Start s => await IssueTokenAsync(request.WorkspaceId, s.Created.OwnerClientId, s.Created.CreatedAt, s.Created.AppId, bus, logger, ct),
            ClaimDecision.Retry r => await IssueTokenAsync(request.WorkspaceId, r.Workspace.OwnerClientId, r.Workspace.CreatedAt,
                r.Workspace.AppId ?? NullIfEmpty(apps.DefaultAppId), bus, logger, ct),
            _ => Problem.Result(Problem.Create(StatusCodes.Status409Conflict, ProblemCodes.WorkspaceExists,
                $"Workspace {request.WorkspaceId} has already been claimed.")),
        };
    }

    private static string? NullIfEmpty(string value) => value.Length == 0 ? null : value;

    /// <summary>
    /// Commits the new stream together with its WorkspaceClaimed: the decision when it did, null when another claim
    /// started it first (or the id was erased meanwhile), <see cref="ClaimDecision.OverQuota"/> when the app is full.
    /// </summary>
    private static async Task<ClaimDecision?> TryStartAsync(
        WorkspaceCreated created, long? maxWorkspaces, string defaultAppId, IDocumentSession session, IMessageBus bus, CancellationToken ct)
    {
        // An erased workspace keeps its (archived, empty) stream row, so an erasure that committed since the check
        // above makes StartStream collide below rather than start the id again.
        if (maxWorkspaces is { } limit)
        {
            // Claims of one app count and commit one at a time (this lock is held to the commit below), so concurrent
            // claims never take the app past its limit. Only apps with the quota pay for the transaction and the lock.
            await session.BeginTransactionAsync(ct);
            await session.QueryAsync<int>("select 1 from (select pg_advisory_xact_lock(hashtextextended(?, 0))) as locked", ct, $"claims:{created.AppId}");
            var used = created.AppId == defaultAppId
                ? await session.Query<Workspace>().CountAsync(w => w.AppId == created.AppId || w.AppId == null, ct)
                : await session.Query<Workspace>().CountAsync(w => w.AppId == created.AppId, ct);
            if (used >= limit)
            {
                return new ClaimDecision.OverQuota(limit, used);
            }
        }

        session.Events.StartStream<Workspace>(created.WorkspaceId, created);
        // Enrolled in the session's outbox: the message is committed with the stream or not at all.
        await bus.PublishAsync(new WorkspaceClaimed(created.WorkspaceId, created.OwnerClientId, created.CreatedAt, created.AppId, created.OwnerSubject));
        try
        {
            // Committed here, not by Wolverine after the endpoint returns, because the token is asked for only once
            // the claim is durable.
            await session.SaveChangesAsync(ct);
            return new ClaimDecision.Start(created);
        }
        // Both say the stream exists now: rich appends report the mt_streams key, quick appends a version mismatch.
        catch (Exception e) when (e is ExistingStreamIdCollisionException or ConcurrencyException)
        {
            // Drop the losing stream and its WorkspaceClaimed: otherwise Wolverine's own SaveChangesAsync after the
            // endpoint would try the insert again, and its final flush would still send the message.
            session.EjectAllPendingChanges();
            if (bus is MessageContext context)
            {
                await context.ClearAllAsync();
            }

            return null;
        }
    }

    private static async Task<Results<Created<ClaimedWorkspace>, ProblemHttpResult>> IssueTokenAsync(
        Guid workspaceId, Guid ownerClientId, DateTimeOffset createdAt, string? appId, IMessageBus bus, ILogger logger, CancellationToken ct)
    {
        MasterTokenIssued issued;
        try
        {
            issued = await bus.InvokeAsync<MasterTokenIssued>(new IssueMasterToken(workspaceId, ownerClientId, appId), ct, timeout: TokenTimeout);
        }
        catch (Exception e) when (!ct.IsCancellationRequested)
        {
            // The claim is committed, so nothing is lost: a retry with the same key is recognised and gets the token.
            logger.LogWarning(e, "Auth did not issue the master token of workspace {WorkspaceId}", workspaceId);
            return Problem.Result(Problem.Create(StatusCodes.Status503ServiceUnavailable, ProblemCodes.Unavailable,
                $"The workspace is claimed but its token could not be issued right now; retry with the same {IdempotencyKeyHeader} to get it."));
        }

        return TypedResults.Created(
            $"/api/workspaces/{workspaceId}", new ClaimedWorkspace(workspaceId, ownerClientId, createdAt, issued.Token));
    }
}
