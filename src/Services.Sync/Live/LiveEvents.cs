using System.Security.Claims;
using System.Text;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using Microsoft.OpenApi;
using Npgsql;
using Services.Sync.Changes;
using SyncEngine.ServiceDefaults.OpenApi;
using SyncEngine.ServiceDefaults.Security;

namespace Services.Sync.Live;

/// <summary>
/// Server-Sent Events: a <c>head</c> event (id and data: the seq) whenever a change commits, from any replica; the
/// current head at connect when it is newer than Last-Event-ID; a comment as heartbeat (which also re-reads the head,
/// in case an announcement was lost); and a <c>revoked</c> event
/// that ends the stream when the subscriber's access is revoked (or its token expires).
/// </summary>
public static class LiveEvents
{
    public static void MapLiveEvents(this IEndpointRouteBuilder app) =>
        app.MapGet("/api/workspaces/{workspaceId}/events", Handle).RequireAuthorization(AccessPolicies.Member);

    [EndpointName("liveEvents")]
    [EndpointSummary("Follow a workspace's head")]
    [EndpointDescription("Server-Sent Events. `head` (id and data `{\"seq\": n}`) when changes commit, on any replica, and once " +
        "at connect when the head is past Last-Event-ID; a comment line as heartbeat; `revoked` (data `{}`) just before the " +
        "stream ends because the caller's access was revoked or its token expired.")]
    [Tags("Live")]
    [ApiParameter("Last-Event-ID", ParameterLocation.Header, typeof(long), "The last head seq received, when reconnecting.")]
    [ProducesResponseType<string>(StatusCodes.Status200OK, "text/event-stream", Description = "An endless event stream.")]
    private static async Task Handle(
        Guid workspaceId, HttpContext http, ClaimsPrincipal user, NpgsqlDataSource db, HeadNotifications notifications,
        IOptions<SyncOptions> options, SyncMetrics metrics, TimeProvider clock, IHostApplicationLifetime lifetime)
    {
        // A stream also ends when this replica stops: otherwise open streams hold a restart or deploy for the whole
        // shutdown timeout. The client reconnects (retry: 3000) to a replica that runs.
        using var closing = CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted, lifetime.ApplicationStopping);
        var ct = closing.Token;
        var holder = TokenHolder.From(user)!;
        using var subscription = notifications.Subscribe(workspaceId, holder.ClientId);
        http.Response.ContentType = "text/event-stream";
        http.Response.Headers.CacheControl = "no-cache";
        http.Response.Headers["X-Accel-Buffering"] = "no";
        metrics.SubscriberOpened();
        try
        {
            using var ends = CancellationTokenSource.CreateLinkedTokenSource(ct, subscription.Revoked);
            if (long.TryParse(user.FindFirstValue("exp"), out var exp))
            {
                ends.CancelAfter(DateTimeOffset.FromUnixTimeSeconds(exp) - clock.GetUtcNow());
            }

            await WriteAsync(http, "retry: 3000\n\n", ct);
            var lastSent = long.TryParse(http.Request.Headers["Last-Event-ID"], out var resumed) ? resumed : -1;
            var head = await HeadAsync(db, workspaceId, ct);
            if (head > lastSent)
            {
                await WriteHeadAsync(http, head, ct);
                lastSent = head;
            }

            using var heartbeat = new PeriodicTimer(options.Value.HeartbeatEvery);
            var beat = heartbeat.WaitForNextTickAsync(ends.Token).AsTask();
            while (true)
            {
                var next = subscription.Heads.Reader.WaitToReadAsync(ends.Token).AsTask();
                if (await Task.WhenAny(next, beat) == beat)
                {
                    await beat;
                    // Also the safety net for a head whose announcement was lost (a replica crashed right after commit).
                    var current = await HeadAsync(db, workspaceId, ends.Token);
                    if (current > lastSent)
                    {
                        await WriteHeadAsync(http, current, ends.Token);
                        lastSent = current;
                    }

                    await WriteAsync(http, ": heartbeat\n\n", ends.Token);
                    beat = heartbeat.WaitForNextTickAsync(ends.Token).AsTask();
                    continue;
                }

                await next;
                while (subscription.Heads.Reader.TryRead(out var seq))
                {
                    if (seq > lastSent)
                    {
                        await WriteHeadAsync(http, seq, ends.Token);
                        lastSent = seq;
                    }
                }
            }
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            // Revoked or expired: say so, then end the stream; the client stops syncing and keeps its local edits.
            await WriteAsync(http, "event: revoked\ndata: {}\n\n", CancellationToken.None);
        }
        catch (OperationCanceledException)
        {
        }
        finally
        {
            metrics.SubscriberClosed();
        }
    }

    private static Task WriteHeadAsync(HttpContext http, long seq, CancellationToken ct) =>
        WriteAsync(http, $"id: {seq}\nevent: head\ndata: {{\"seq\":{seq}}}\n\n", ct);

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
