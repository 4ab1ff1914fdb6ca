using Microsoft.AspNetCore.Mvc;
using Microsoft.OpenApi;
using Npgsql;
using SyncEngine.ServiceDefaults.OpenApi;
using SyncEngine.ServiceDefaults.Problems;
using SyncEngine.ServiceDefaults.Security;

namespace Services.Sync.Changes;

/// <summary>
/// What the caller lacks after seq <c>after</c>: only the changes when they are all still kept, otherwise the newest
/// snapshot and the changes after it. Cost follows what is missing, not the document's size.
/// </summary>
public static class PullChanges
{
    public static void MapPullChanges(this IEndpointRouteBuilder app) =>
        app.MapGet("/api/workspaces/{workspaceId}/changes", Handle).RequireAuthorization(AccessPolicies.Member);

    [EndpointName("pullChanges")]
    [EndpointSummary("Pull what the caller lacks")]
    [EndpointDescription("The changes after seq `after`, preceded by the newest snapshot when some of them are pruned, in the " +
        "binary framing of docs/protocol.md: frames of [kind: 1 byte, 1 = snapshot, 2 = change][seq: int64 big-endian]" +
        "[length: uint32 big-endian][bytes]. Nothing new is 204.")]
    [Tags("Changes")]
    // Read by hand, so a malformed or repeated value is an invalid-request problem rather than a binding failure.
    [ApiParameter("after", ParameterLocation.Query, typeof(long), "The last seq the client has; 0 or absent for everything.")]
    [ApiBinaryResponse(StatusCodes.Status200OK, SyncHeaders.ContentType, "Frames, oldest first.")]
    [ProblemResponse(StatusCodes.Status400BadRequest, ProblemCodes.InvalidRequest, Description = "`after` is not one non-negative integer.")]
    [ProducesResponseType(StatusCodes.Status204NoContent, Description = "The caller is up to date.")]
    [ApiResponseHeader(SyncHeaders.Head, typeof(long), "The workspace's newest seq.")]
    [ApiResponseHeader(SyncHeaders.SchemaVersion, typeof(int), "The workspace's schema version: the newest a push carried.")]
    private static async Task<IResult> Handle(
        Guid workspaceId, HttpContext http, NpgsqlDataSource db, SyncProblems problems, SyncMetrics metrics, CancellationToken ct)
    {
        var afterText = http.Request.Query["after"];
        long after = 0;
        if (afterText.Count > 1 || (afterText.Count == 1 && (!long.TryParse(afterText, out after) || after < 0)))
        {
            return problems.Invalid("after must be a single non-negative integer (the last seq the client has).");
        }

        await using var connection = await db.OpenConnectionAsync(ct);
        // One snapshot of the log for the whole read, so head, snapshot and changes agree with each other.
        await using var tx = await connection.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, ct);
        var (head, version, prunedThrough) = await ReadLogAsync(connection, tx, workspaceId, ct);
        http.Response.Headers[SyncHeaders.Head] = head.ToString();
        http.Response.Headers[SyncHeaders.SchemaVersion] = version.ToString();
        if (after >= head)
        {
            metrics.Pulled(0);
            return Results.NoContent();
        }

        http.Response.ContentType = SyncHeaders.ContentType;
        var body = http.Response.Body;
        long sent = 0;
        var from = after;
        if (after < prunedThrough)
        {
            await using var snapshot = new NpgsqlCommand(
                $"select covers, data from {SyncSchema.Snapshots} where workspace_id = $1 order by covers desc limit 1", connection, tx);
            snapshot.Parameters.AddWithValue(workspaceId);
            await using var reader = await snapshot.ExecuteReaderAsync(ct);
            if (await reader.ReadAsync(ct))
            {
                from = reader.GetInt64(0);
                sent += await ChangeFrames.WriteAsync(body, ChangeFrames.Snapshot, from, (byte[])reader[1], ct);
            }
        }

        await using (var changes = new NpgsqlCommand(
            $"select seq, data from {SyncSchema.Changes} where workspace_id = $1 and seq > $2 order by seq", connection, tx))
        {
            changes.Parameters.AddWithValue(workspaceId);
            changes.Parameters.AddWithValue(from);
            await using var reader = await changes.ExecuteReaderAsync(System.Data.CommandBehavior.SequentialAccess, ct);
            while (await reader.ReadAsync(ct))
            {
                sent += await ChangeFrames.WriteAsync(body, ChangeFrames.Change, reader.GetInt64(0), (byte[])reader[1], ct);
            }
        }

        await tx.CommitAsync(ct);
        metrics.Pulled(sent);
        return Results.Empty;
    }

    private static async Task<(long Head, int Version, long PrunedThrough)> ReadLogAsync(
        NpgsqlConnection connection, NpgsqlTransaction tx, Guid workspaceId, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(
            $"select head, schema_version, pruned_through from {SyncSchema.Logs} where workspace_id = $1", connection, tx);
        command.Parameters.AddWithValue(workspaceId);
        await using var reader = await command.ExecuteReaderAsync(ct);
        // No row yet: claimed a moment ago (the token proves it) and nothing pushed.
        return await reader.ReadAsync(ct) ? (reader.GetInt64(0), reader.GetInt32(1), reader.GetInt64(2)) : (0, 0, 0);
    }
}
