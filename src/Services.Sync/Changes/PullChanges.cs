using Microsoft.AspNetCore.Mvc;
using Microsoft.OpenApi;
using Npgsql;
using SyncEngine.ServiceDefaults.OpenApi;
using SyncEngine.ServiceDefaults.Problems;
using SyncEngine.ServiceDefaults.Security;

namespace Services.Sync.Changes;

/// <summary>
/// What the caller lacks after seq <c>after</c>: the changes after it, or, when the newest snapshot covers more than the
/// caller has and the changes it would replace are pruned or larger than it, that snapshot and the changes after it.
/// Cost follows what is missing, not the document's size.
/// </summary>
public static class PullChanges
{
    public static void MapPullChanges(this IEndpointRouteBuilder app) =>
        app.MapGet("/api/workspaces/{workspaceId}/changes", Handle).RequireAuthorization(AccessPolicies.Member);

    [EndpointName("pullChanges")]
    [EndpointSummary("Pull what the caller lacks")]
    [EndpointDescription("The changes after seq `after`; when the newest snapshot covers seq N > `after` and the changes up to N " +
        "are pruned or add up to more bytes than the snapshot, that snapshot and the changes after N instead. In the " +
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

        // Nothing below holds a connection or a transaction while writing to the client: a reader that reads slowly
        // would otherwise keep a pooled connection (and a snapshot that holds back vacuum) for as long as it likes, and
        // a few hundred of them exhausted the pool for every workspace. The head, the log and the snapshot come from one
        // short repeatable-read transaction; the changes then come in pages, each read on its own connection and
        // released before it is written.
        var start = await StartAsync(db, workspaceId, after, ct);
        http.Response.Headers[SyncHeaders.Head] = start.Head.ToString();
        http.Response.Headers[SyncHeaders.SchemaVersion] = start.Version.ToString();
        if (after >= start.Head)
        {
            metrics.Pulled(0);
            return Results.NoContent();
        }

        http.Response.ContentType = SyncHeaders.ContentType;
        var body = http.Response.Body;
        long sent = 0;
        var from = after;
        if (start.Snapshot is { } snapshot)
        {
            sent += await ChangeFrames.WriteAsync(body, ChangeFrames.Snapshot, snapshot.Covers, snapshot.Data, ct);
            from = snapshot.Covers;
        }

        while (from < start.Head)
        {
            var page = await PageAsync(db, workspaceId, from, start.Head, ct);
            foreach (var (seq, data) in page)
            {
                // Pruned since the start (a snapshot's retention ended meanwhile): a hole would corrupt the client's
                // document, so break the response off instead; the client retries and then gets the snapshot.
                if (seq != from + 1)
                {
                    http.Abort();
                    return Results.Empty;
                }

                sent += await ChangeFrames.WriteAsync(body, ChangeFrames.Change, seq, data, ct);
                from = seq;
            }

            if (page.Count == 0)
            {
                http.Abort();
                return Results.Empty;
            }
        }

        metrics.Pulled(sent);
        return Results.Empty;
    }

    /// <summary>
    /// At most this many bytes of changes are read per page (plus one change, so a page always moves on): memory per pull
    /// stays near the largest change, and a connection is held for one short read.
    /// </summary>
    public const int PageBytes = 1024 * 1024;

    /// <summary>And at most this many changes, so finding a page's end never scans the rest of a long log.</summary>
    public const int PageChanges = 1000;

    private sealed record Start(long Head, int Version, (long Covers, byte[] Data)? Snapshot);

    private static async Task<Start> StartAsync(NpgsqlDataSource db, Guid workspaceId, long after, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        // One snapshot of the log for the start, so head, pruned point and snapshot agree with each other.
        await using var tx = await connection.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, ct);
        var (head, version, prunedThrough) = await ReadLogAsync(connection, tx, workspaceId, ct);
        (long, byte[])? served = null;
        if (after < head && await SnapshotToServeAsync(connection, tx, workspaceId, after, prunedThrough, ct) is { } covers)
        {
            await using var snapshot = new NpgsqlCommand(
                $"select data from {SyncSchema.Snapshots} where workspace_id = $1 and covers = $2", connection, tx);
            snapshot.Parameters.AddWithValue(workspaceId);
            snapshot.Parameters.AddWithValue(covers);
            served = (covers, (byte[])(await snapshot.ExecuteScalarAsync(ct))!);
        }

        await tx.CommitAsync(ct);
        return new Start(head, version, served);
    }

    /// <summary>The changes after <paramref name="from"/> up to <paramref name="head"/>, oldest first, one page of them.</summary>
    private static async Task<List<(long Seq, byte[] Data)>> PageAsync(
        NpgsqlDataSource db, Guid workspaceId, long from, long head, CancellationToken ct)
    {
        // Sizes from octet_length (read from the stored value's header), so the rows past the page are never fetched.
        await using var command = db.CreateCommand(
            $"""
            select seq, data from (
                select seq, data, sum(octet_length(data)) over (order by seq) - octet_length(data) as before
                from (select seq, data from {SyncSchema.Changes}
                      where workspace_id = $1 and seq > $2 and seq <= $3 order by seq limit {PageChanges}) c
            ) p
            where before < {PageBytes}
            order by seq
            """);
        command.Parameters.AddWithValue(workspaceId);
        command.Parameters.AddWithValue(from);
        command.Parameters.AddWithValue(head);
        var page = new List<(long, byte[])>();
        await using var reader = await command.ExecuteReaderAsync(System.Data.CommandBehavior.SequentialAccess, ct);
        while (await reader.ReadAsync(ct))
        {
            page.Add((reader.GetInt64(0), (byte[])reader[1]));
        }

        return page;
    }

    /// <summary>
    /// The newest snapshot's seq when the caller should get it instead of the changes it covers: it covers more than the
    /// caller has, and the changes in between are pruned or would cost more bytes (payloads plus framing) than the
    /// snapshot. Otherwise null: deltas only. Sizes come from octet_length, which reads a stored value's length from
    /// its header without fetching or decompressing it, so the comparison costs one index range scan.
    /// </summary>
    private static async Task<long?> SnapshotToServeAsync(
        NpgsqlConnection connection, NpgsqlTransaction tx, Guid workspaceId, long after, long prunedThrough, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(
            $"""
            select s.covers, octet_length(s.data) + {ChangeFrames.HeaderLength},
                (select coalesce(sum(octet_length(c.data) + {ChangeFrames.HeaderLength}), 0)::bigint from {SyncSchema.Changes} c
                 where c.workspace_id = s.workspace_id and c.seq > $2 and c.seq <= s.covers)
            from {SyncSchema.Snapshots} s
            where s.workspace_id = $1 and s.covers > $2
            order by s.covers desc limit 1
            """, connection, tx);
        command.Parameters.AddWithValue(workspaceId);
        command.Parameters.AddWithValue(after);
        await using var reader = await command.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct))
        {
            return null;
        }

        var (covers, snapshotBytes, deltaBytes) = (reader.GetInt64(0), reader.GetInt32(1), reader.GetInt64(2));
        return after < prunedThrough || deltaBytes > snapshotBytes ? covers : null;
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
