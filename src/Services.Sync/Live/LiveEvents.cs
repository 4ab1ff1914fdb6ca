using System.Globalization;
using System.Security.Claims;
using System.Text;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;
using Microsoft.OpenApi;
using Npgsql;
using Services.Sync.Changes;
using SyncEngine.Backend.OpenApi;
using SyncEngine.Backend.Apps;
using SyncEngine.Backend.Security;
using SyncEngine.ServiceDefaults.Problems;
using SyncEngine.Tokens;

namespace Services.Sync.Live;

/// <summary>
/// Server-Sent Events: a <c>head</c> event (id and data: the seq) for each committed seq, from any replica, in order;
/// at connect, the current head (without Last-Event-ID) or every seq after Last-Event-ID; a comment as heartbeat
/// (which also re-reads the head, in case an announcement was lost); and a <c>revoked</c> event
/// that ends the stream when the subscriber's access is revoked (or its token expires).
/// </summary>
public static class LiveEvents
{
    /// <summary>
    /// A subscriber resuming far behind (or one whose stream stalled through a huge burst) gets only the newest this
    /// many heads: a client pulls after its own last seq on any event, so older events would only cost bandwidth.
    /// </summary>
    public const int MaxHeadEventsAtOnce = 1000;

    public static void MapLiveEvents(this IEndpointRouteBuilder app) =>
        app.MapGet("/api/workspaces/{workspaceId}/events", Handle).RequireAuthorization(AccessPolicies.Member);

    [EndpointName("liveEvents")]
    [EndpointSummary("Follow a workspace's head")]
    [EndpointDescription("Server-Sent Events. One `head` event (id and data `{\"seq\": n}`) for each seq committed, on any " +
        "replica, in order; at connect the current head, or with Last-Event-ID every seq after it (at most the newest 1000); " +
        "a comment line as heartbeat; `revoked` (data `{}`) just before the stream ends because the caller's access was " +
        "revoked or its token expired; `deleted` (data `{}`) just before it ends because the workspace was deleted; `app-suspended` " +
        "(data `{}`) when its app was suspended. A token holds at most Sync:MaxLiveStreamsPerToken (4) streams per replica: a newer one " +
        "ends its oldest, without an event, like a replica that stops (the client reconnects after `retry`). A client holds at most its app's " +
        "maxLiveStreamsPerClient streams per replica: beyond it a new one is 403 quota-exceeded.")]
    [Tags("Live")]
    [ApiParameter("Last-Event-ID", ParameterLocation.Header, typeof(long), "The last head seq received, when reconnecting.")]
    [ProducesResponseType<string>(StatusCodes.Status200OK, "text/event-stream", Description = "An endless event stream.")]
    [ProblemResponse(StatusCodes.Status403Forbidden, ProblemCodes.QuotaExceeded,
        Description = "The client holds its app's maxLiveStreamsPerClient streams on this replica: carries quota, limit and used.")]
    private static async Task Handle(
        Guid workspaceId, HttpContext http, ClaimsPrincipal user, NpgsqlDataSource db, HeadNotifications notifications,
        IOptions<SyncOptions> options, SyncMetrics metrics, TimeProvider clock, IHostApplicationLifetime lifetime, LiveStreamLimit limit,
        AppDirectory apps, MaxSchemaVersion appLimits, SyncProblems problems)
    {
        var holder = TokenHolder.From(user)!;
        using var subscription = notifications.Subscribe(workspaceId, holder.ClientId, holder.TokenId, holder.AppId,
            DateTimeOffset.FromUnixTimeSeconds(long.Parse(user.FindFirstValue(TokenClaims.IssuedAt)!, CultureInfo.InvariantCulture)));
        var perClient = appLimits.For(user).MaxLiveStreamsPerClient;
        using var admitted = limit.TryAdmit(subscription, perClient, out var used);
        if (admitted is null)
        {
            await problems.Reject(ClientOverQuota(perClient!.Value, used)).ExecuteAsync(http);
            return;
        }

        // A stream also ends when this replica stops: otherwise open streams hold a restart or deploy for the whole
        // shutdown timeout. The client reconnects (retry: 3000) to a replica that runs. A stream superseded by the
        // same token's newer ones (LiveStreamLimit) ends the same way.
        using var closing = CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted, lifetime.ApplicationStopping, subscription.Superseded);
        var ct = closing.Token;
        http.Response.ContentType = "text/event-stream";
        http.Response.Headers.CacheControl = "no-cache";
        http.Response.Headers["X-Accel-Buffering"] = "no";
        var app = holder.AppId ?? (apps.DefaultAppId.Length > 0 ? apps.DefaultAppId : null);
        metrics.SubscriberOpened(app);
        try
        {
            using var ends = CancellationTokenSource.CreateLinkedTokenSource(ct, subscription.Revoked);
            DateTimeOffset? expiry = long.TryParse(user.FindFirstValue("exp"), out var exp) ? DateTimeOffset.FromUnixTimeSeconds(exp) : null;
            if (expiry is { } expires)
            {
                EndAtExpiry(ends, expires - clock.GetUtcNow());
            }

            await WriteAsync(http, "retry: 3000\n\n", ct);
            var head = await HeadAsync(db, workspaceId, ct);
            var lastSent = await SendHeadsAsync(http, ResumeAfter(http.Request.Headers["Last-Event-ID"], head), head, ct);

            using var heartbeat = new PeriodicTimer(options.Value.HeartbeatEvery);
            var beat = heartbeat.WaitForNextTickAsync(ends.Token).AsTask();
            // One waiter for announcements at a time, kept across heartbeats (a new one per beat would pile up).
            Task<bool>? next = null;
            while (true)
            {
                next ??= subscription.WaitForAnnouncementAsync(ends.Token).AsTask();
                if (await Task.WhenAny(next, beat) == beat)
                {
                    await beat;
                    // A NOTIFY that ends a stream or announces a head can be lost (a LISTEN connection dropped at that
                    // moment, a replica crashed right after a commit): the replica-wide audit (LiveAudit) asks the store
                    // for every stream at once each heartbeat, so none outlives its revocation or erasure, or misses a
                    // head, by more than one. What needs no database is checked here.
                    if (apps.Find(holder.AppId) is { Settings.Suspended: true })
                    {
                        subscription.SuspendApp();
                    }

                    if (clock.GetUtcNow() >= expiry)
                    {
                        await ends.CancelAsync();
                        ends.Token.ThrowIfCancellationRequested();
                    }

                    lastSent = await SendHeadsAsync(http, lastSent, subscription.NewestHead, ends.Token);
                    await WriteAsync(http, ": heartbeat\n\n", ends.Token);
                    beat = heartbeat.WaitForNextTickAsync(ends.Token).AsTask();
                    continue;
                }

                await next;
                next = null;
                subscription.TakeAnnouncement();
                lastSent = await SendHeadsAsync(http, lastSent, subscription.NewestHead, ends.Token);
            }
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            // Revoked or expired: say so, then end the stream; the client stops syncing and keeps its local edits.
            // Erased: the workspace is gone for everyone (every route of it is 410 workspace-deleted from now on).
            // App suspended: nothing is lost; reconnecting is 403 app-suspended until the app is resumed.
            await WriteAsync(http,
                subscription.Erased ? "event: deleted\ndata: {}\n\n"
                : subscription.AppSuspended ? "event: app-suspended\ndata: {}\n\n"
                : "event: revoked\ndata: {}\n\n",
                CancellationToken.None);
        }
        catch (OperationCanceledException)
        {
        }
        finally
        {
            metrics.SubscriberClosed(app);
        }
    }

    /// <summary>The refusal of a stream beyond the app's <c>maxLiveStreamsPerClient</c>: the client holds <paramref name="used"/> on this replica.</summary>
    public static ProblemDetails ClientOverQuota(int limit, int used) => QuotaProblem.Create(MaxLiveStreamsPerClient, limit, used,
        $"This client holds {used} live streams of its app here, its limit; close one (or let it end) before opening another.");

    public const string MaxLiveStreamsPerClient = "maxLiveStreamsPerClient";

    /// <summary>
    /// The seq after which a stream starts: the Last-Event-ID the client resumes from, or without one (or a malformed or
    /// negative one, which is no position either) the seq before the head, so the head is sent once, then every seq.
    /// </summary>
    public static long ResumeAfter(StringValues lastEventId, long head) =>
        long.TryParse(lastEventId, out var resumed) && resumed >= 0 ? resumed : head - 1;

    /// <summary>
    /// The <c>head</c> events for each seq after <paramref name="lastSent"/> up to <paramref name="head"/>, at most
    /// <see cref="MaxHeadEventsAtOnce"/> of them (the newest), oldest first; empty when there is none.
    /// </summary>
    public static string HeadEvents(long lastSent, long head)
    {
        var events = new StringBuilder();
        for (var seq = Math.Max(lastSent + 1, head - MaxHeadEventsAtOnce + 1); seq <= head; seq++)
        {
            events.Append($"id: {seq}\nevent: head\ndata: {{\"seq\":{seq}}}\n\n");
        }

        return events.ToString();
    }

    /// <summary>Writes <see cref="HeadEvents"/> in one write, if any; returns the last seq sent.</summary>
    private static async Task<long> SendHeadsAsync(HttpContext http, long lastSent, long head, CancellationToken ct)
    {
        if (head <= lastSent)
        {
            return lastSent;
        }

        await WriteAsync(http, HeadEvents(lastSent, head), ct);
        return head;
    }

    /// <summary>
    /// A token already past its exp (it passed validation within the clock skew) ends the stream at once. A timer cannot
    /// wait longer than about 49 days (CancelAfter throws), so a later exp is caught by the heartbeat instead.
    /// </summary>
    private static void EndAtExpiry(CancellationTokenSource ends, TimeSpan left)
    {
        if (left <= TimeSpan.Zero)
        {
            ends.Cancel();
        }
        else if (left < MaxTimer)
        {
            ends.CancelAfter(left);
        }
    }

    private static readonly TimeSpan MaxTimer = TimeSpan.FromMilliseconds(uint.MaxValue - 1);

    private static async Task WriteAsync(HttpContext http, string text, CancellationToken ct)
    {
        await http.Response.Body.WriteAsync(Encoding.UTF8.GetBytes(text), ct);
        await http.Response.Body.FlushAsync(ct);
    }

    private static async Task<long> HeadAsync(NpgsqlDataSource db, Guid workspaceId, CancellationToken ct)
    {
        await using var command = db.CreateCommand($"select head from {SyncSchema.Logs} where workspace_id = $1");
        command.Parameters.AddWithValue(workspaceId);
        return await command.ExecuteScalarAsync(ct) is long head ? head : 0;
    }
}
