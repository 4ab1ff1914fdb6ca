using Npgsql;
using SyncEngine.Backend.Apps;
using SyncEngine.Backend.Security;
using SyncEngine.ServiceDefaults.Problems;
using Services.Sync.Changes;

namespace Services.Sync.Usage;

/// <summary>An app's usage, as <c>GET /admin/apps/{appId}/usage</c> answers it (docs/design.md, "Operators").</summary>
public sealed record AppUsage(
    long Workspaces, long StoredBytes, long Changes, long PushesLast24h, long BytesInLast24h, long BytesOutLast24h, long LiveStreams);

/// <summary>
/// The app's workspaces are its logs (one per claimed workspace; a workspace claimed before apps, with no app in its
/// log, is the default app's), their stored bytes and retained changes, read from what Sync stores, so exact against
/// it; the pushes and their bytes, and the bytes pulls sent, in the last 24 hourly buckets each replica adds its counts
/// to (AppUsageRecorder: every few seconds, so a push shows within <c>Sync:UsageFlushEvery</c>); and the live streams
/// every replica reported within the last 30 s.
/// </summary>
public static class GetAppUsage
{
    public static void MapGetAppUsage(this IEndpointRouteBuilder app) =>
        app.MapGet("/admin/apps/{appId}/usage", Handle).RequireAuthorization(OperatorAuthentication.Policy).ExcludeFromDescription();

    private static async Task<IResult> Handle(string appId, AppDirectory apps, NpgsqlDataSource db, CancellationToken ct)
    {
        if (apps.Find(appId) is null)
        {
            return Results.Problem(Problem.Create(StatusCodes.Status404NotFound, ProblemCodes.AppNotFound, $"There is no app '{appId}'."));
        }

        await using var query = db.CreateCommand(
            $"""
            with logs as (
                select workspace_id, coalesce(stored_bytes, 0) as bytes from {SyncSchema.Logs}
                where app_id = $1 or ($2 and app_id is null)),
            traffic as (
                select coalesce(sum(pushes), 0)::bigint as pushes, coalesce(sum(bytes_in), 0)::bigint as bytes_in,
                    coalesce(sum(bytes_out), 0)::bigint as bytes_out
                from {SyncSchema.AppTraffic} where app_id = $1 and hour > now() - interval '24 hours')
            select
                (select count(*) from logs),
                (select coalesce(sum(bytes), 0)::bigint from logs),
                (select count(*) from {SyncSchema.Changes} c join logs l using (workspace_id)),
                (select pushes from traffic),
                (select bytes_in from traffic),
                (select bytes_out from traffic),
                (select coalesce(sum(streams), 0)::bigint from {SyncSchema.LiveStreams}
                    where app_id = $1 and seen_at > now() - make_interval(secs => $3))
            """);
        query.Parameters.AddWithValue(appId);
        query.Parameters.AddWithValue(appId == apps.DefaultAppId);
        query.Parameters.AddWithValue(AppUsageRecorder.LiveStreamsFreshFor.TotalSeconds);
        await using var reader = await query.ExecuteReaderAsync(ct);
        await reader.ReadAsync(ct);
        return Results.Ok(new AppUsage(
            reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3), reader.GetInt64(4), reader.GetInt64(5), reader.GetInt64(6)));
    }
}
