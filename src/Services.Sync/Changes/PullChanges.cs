using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Primitives;
using Microsoft.OpenApi;
using Npgsql;
using SyncEngine.Backend.Apps;
using SyncEngine.Tokens;
using Services.Sync.Usage;
using SyncEngine.Backend.OpenApi;
using SyncEngine.Backend.Security;
using SyncEngine.ServiceDefaults.Problems;

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
        Guid workspaceId, HttpContext http, NpgsqlDataSource db, SyncProblems problems, SyncMetrics metrics, AppUsageRecorder usage,
        AppDirectory apps, CancellationToken ct)
    {
        var app = TokenHolder.From(http.User)?.AppId ?? (apps.DefaultAppId.Length > 0 ? apps.DefaultAppId : null);
        if (Validate(http.Request.Query["after"]).IsInvalid(out var problem, out var after))
        {
            return problems.Reject(problem);
        }

        // Nothing below holds a connection or a transaction while writing to the client: a reader that reads slowly
        // would otherwise keep a pooled connection (and a snapshot that holds back vacuum) for as long as it likes, and
        // a few hundred of them exhausted the pool for every workspace. The head, the log and the snapshot's length and
        // first chunk come from one short repeatable-read transaction; the rest of the snapshot, then the changes, come
        // in chunks and pages of about 1 MiB, each read on its own connection and released before it is written, so a
        // stalled pull holds about 1 MiB of document bytes (plus at most one change), whatever the document's size.
        var start = await PlanAsync(db, workspaceId, after, ct);
        http.Response.Headers[SyncHeaders.Head] = start.Head.ToString();
        http.Response.Headers[SyncHeaders.SchemaVersion] = start.Version.ToString();
        if (start.Plan is PullPlan.UpToDate)
        {
            metrics.Pulled(0, app);
            usage.Pulled(app, 0);
            return Results.NoContent();
        }

        http.Response.ContentType = SyncHeaders.ContentType;
        var written = await WriteFramesAsync(db, workspaceId, after, start, http.Response.Body, ct);
        if (written.BrokenOff)
        {
            http.Abort();
            return Results.Empty;
        }

        metrics.Pulled(written.Bytes, app);
        usage.Pulled(app, written.Bytes);
        return Results.Empty;
    }

    /// <summary>What <see cref="WriteFramesAsync"/> wrote: the last seq, the framed bytes, and whether it had to break off.</summary>
    /// <param name="BrokenOff">
    /// The snapshot was replaced or changes pruned while being sent: what was written so far must not be used as a
    /// whole (HTTP aborts the response, the socket closes), and the client asks again from its cursor.
    /// </param>
    public sealed record Written(long LastSeq, long Bytes, bool BrokenOff);

    /// <summary>
    /// Writes the frames <paramref name="start"/> planned (not <see cref="PullPlan.UpToDate"/>) to <paramref name="body"/>:
    /// the HTTP pull's body and the socket's <c>changes</c> message alike.
    /// </summary>
    public static async Task<Written> WriteFramesAsync(NpgsqlDataSource db, Guid workspaceId, long after, Start start, Stream body, CancellationToken ct)
    {
        long sent = 0;
        var from = after;
        if (start.Snapshot is { } snapshot)
        {
            // The snapshot goes out in chunks, each read on its own short-lived connection and released before it is
            // written, so a stalled reader holds one chunk rather than the whole snapshot (up to Sync:MaxSnapshotBytes:
            // 300 stalled readers of a 16 MiB snapshot held about 5 GB).
            await ChangeFrames.WriteHeaderAsync(body, ChangeFrames.Snapshot, snapshot.Covers, snapshot.Length, ct);
            await body.WriteAsync(snapshot.FirstChunk, ct);
            for (var offset = snapshot.FirstChunk.Length; offset < snapshot.Length;)
            {
                // Replaced (an upload for the same seq) or deleted (only the newest two are kept) since the first chunk:
                // the rest would not belong to the bytes already sent, so break off and let the client ask again, as
                // for a pruned gap below.
                if (await SnapshotChunkAsync(db, workspaceId, snapshot, offset, ct) is not { Length: > 0 } chunk)
                {
                    return new Written(from, sent, BrokenOff: true);
                }

                await body.WriteAsync(chunk, ct);
                offset += chunk.Length;
            }

            sent += ChangeFrames.HeaderLength + snapshot.Length;
            from = snapshot.Covers;
        }

        while (from < start.Head)
        {
            var page = await PageAsync(db, workspaceId, from, start.Head, ct);
            foreach (var (seq, data) in page)
            {
                // Pruned since the start (a snapshot's retention ended meanwhile): a hole would corrupt the client's
                // document, so break off instead; the client asks again and then gets the snapshot.
                if (seq != from + 1)
                {
                    return new Written(from, sent, BrokenOff: true);
                }

                sent += await ChangeFrames.WriteAsync(body, ChangeFrames.Change, seq, data, ct);
                from = seq;
            }

            if (page.Count == 0)
            {
                return new Written(from, sent, BrokenOff: true);
            }
        }

        return new Written(from, sent, BrokenOff: false);
    }

    /// <summary>The last seq the caller has, from <c>after</c>: absent is 0 (everything).</summary>
    public static Validated<long> Validate(StringValues after)
    {
        long seq = 0;
        return after.Count > 1 || (after.Count == 1 && (!long.TryParse(after, out seq) || seq < 0))
            ? Validated.Invalid<long>(SyncProblems.Invalid("after must be a single non-negative integer (the last seq the client has)."))
            : Validated.Valid(seq);
    }

    /// <summary>
    /// What to send a caller that has every seq up to <paramref name="after"/>, given the log (<paramref name="head"/>,
    /// and changes up to <paramref name="prunedThrough"/> deleted) and its newest snapshot covering more than the caller
    /// has (null: none). The snapshot and the changes after it, when a change the caller lacks is pruned or the changes it
    /// replaces cost more bytes than it; otherwise the changes after <paramref name="after"/>.
    /// </summary>
    public static PullPlan Decide(long after, long head, long prunedThrough, NewestSnapshot? newest) =>
        after >= head ? new PullPlan.UpToDate()
        : newest is not null && newest.Covers > after && (after < prunedThrough || newest.ReplacedBytes > newest.Bytes)
            ? new PullPlan.SnapshotThenChanges(newest.Covers)
        : new PullPlan.Changes();

    /// <summary>
    /// At most this many bytes of changes are read per page (plus one change, so a page always moves on): memory per pull
    /// stays near the largest change, and a connection is held for one short read.
    /// </summary>
    public const int PageBytes = 1024 * 1024;

    /// <summary>And at most this many changes, so finding a page's end never scans the rest of a long log.</summary>
    public const int PageChanges = 1000;

    /// <summary>
    /// A snapshot is read in chunks of at most this many bytes, the same bound as a page of changes, so what a stalled
    /// pull holds in memory does not grow with Sync:MaxSnapshotBytes.
    /// </summary>
    public const int SnapshotChunkBytes = PageBytes;

    /// <summary>What a pull after some seq sends, decided in one consistent read of the log (<see cref="PlanAsync"/>).</summary>
    public sealed record Start(long Head, int Version, PullPlan Plan, SnapshotStart? Snapshot);

    /// <summary>
    /// The snapshot being sent: its length (the frame header needs it before the first byte), the row version it was
    /// first read from (xmin, new on every replacement), and its first chunk.
    /// </summary>
    public sealed record SnapshotStart(long Covers, int Length, string RowVersion, byte[] FirstChunk);

    /// <summary>The head, schema version and plan for a caller after <paramref name="after"/>; throws ErasedWorkspaceException for an erased id.</summary>
    public static async Task<Start> PlanAsync(NpgsqlDataSource db, Guid workspaceId, long after, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        // One snapshot of the log for the start, so head, pruned point and snapshot agree with each other.
        await using var tx = await connection.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, ct);
        var (head, version, prunedThrough) = await ReadLogAsync(connection, tx, workspaceId, ct);
        var newest = after < head ? await NewestSnapshotAsync(connection, tx, workspaceId, after, ct) : null;
        var plan = Decide(after, head, prunedThrough, newest);
        SnapshotStart? served = null;
        if (plan is PullPlan.SnapshotThenChanges(var covers))
        {
            await using var snapshot = new NpgsqlCommand(
                $"""
                select octet_length(data), xmin::text, substring(data from 1 for {SnapshotChunkBytes})
                from {SyncSchema.Snapshots} where workspace_id = $1 and covers = $2
                """, connection, tx);
            snapshot.Parameters.AddWithValue(workspaceId);
            snapshot.Parameters.AddWithValue(covers);
            await using var reader = await snapshot.ExecuteReaderAsync(ct);
            // The row was just chosen in this same transaction, so it is there.
            await reader.ReadAsync(ct);
            served = new SnapshotStart(covers, reader.GetInt32(0), reader.GetString(1), (byte[])reader[2]);
        }

        await tx.CommitAsync(ct);
        return new Start(head, version, plan, served);
    }

    /// <summary>
    /// The snapshot's bytes from <paramref name="offset"/>, one chunk of them, or null when the row is no longer the one
    /// the first chunk came from. xmin changes with every replacement, even one within the same clock tick as the
    /// first (created_at could repeat), and the length is compared too so a mismatch can never pass as a short chunk.
    /// </summary>
    private static async Task<byte[]?> SnapshotChunkAsync(
        NpgsqlDataSource db, Guid workspaceId, SnapshotStart snapshot, int offset, CancellationToken ct)
    {
        // bytea substring is 1-based; only the chunk crosses to this process, whatever PostgreSQL detoasts to cut it.
        await using var command = db.CreateCommand(
            $"""
            select substring(data from $3 for {SnapshotChunkBytes}) from {SyncSchema.Snapshots}
            where workspace_id = $1 and covers = $2 and xmin::text = $4 and octet_length(data) = $5
            """);
        command.Parameters.AddWithValue(workspaceId);
        command.Parameters.AddWithValue(snapshot.Covers);
        command.Parameters.AddWithValue(offset + 1);
        command.Parameters.AddWithValue(snapshot.RowVersion);
        command.Parameters.AddWithValue(snapshot.Length);
        return await command.ExecuteScalarAsync(ct) as byte[];
    }

    /// <summary>The changes after <paramref name="from"/> up to <paramref name="head"/>, oldest first, one page of them.</summary>
    public static async Task<List<(long Seq, byte[] Data)>> PageAsync(
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
    /// The newest snapshot covering more than <paramref name="after"/>, with its framed size and that of the changes it
    /// would replace (after <paramref name="after"/> up to it, those still stored), or null. Sizes come from
    /// octet_length, which reads a stored value's length from its header without fetching or decompressing it, so this
    /// costs one index range scan.
    /// </summary>
    private static async Task<NewestSnapshot?> NewestSnapshotAsync(
        NpgsqlConnection connection, NpgsqlTransaction tx, Guid workspaceId, long after, CancellationToken ct)
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
        return await reader.ReadAsync(ct) ? new NewestSnapshot(reader.GetInt64(0), reader.GetInt32(1), reader.GetInt64(2)) : null;
    }

    private static async Task<(long Head, int Version, long PrunedThrough)> ReadLogAsync(
        NpgsqlConnection connection, NpgsqlTransaction tx, Guid workspaceId, CancellationToken ct)
    {
        // An erased workspace has no log but a tombstone: a replica that has not heard of the erasure yet learns it here.
        await using var command = new NpgsqlCommand(
            $"select head, schema_version, pruned_through, false from {SyncSchema.Logs} where workspace_id = $1 " +
            $"union all select 0, 0, 0, true from {SyncSchema.ErasedTable} where id = $1", connection, tx);
        command.Parameters.AddWithValue(workspaceId);
        await using var reader = await command.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct))
        {
            // No row yet: claimed a moment ago (the token proves it) and nothing pushed.
            return (0, 0, 0);
        }

        return reader.GetBoolean(3)
            ? throw new ErasedWorkspaceException(workspaceId)
            : (reader.GetInt64(0), reader.GetInt32(1), reader.GetInt64(2));
    }
}

/// <summary>The newest snapshot a pull could send: the seq it covers, its bytes and the changes' it replaces, framed.</summary>
public sealed record NewestSnapshot(long Covers, long Bytes, long ReplacedBytes);

/// <summary>What a pull sends.</summary>
public abstract record PullPlan
{
    private PullPlan() { }

    /// <summary>Nothing: 204.</summary>
    public sealed record UpToDate : PullPlan;

    /// <summary>The changes after the caller's seq.</summary>
    public sealed record Changes : PullPlan;

    /// <summary>The snapshot covering <paramref name="Covers"/>, then the changes after it.</summary>
    public sealed record SnapshotThenChanges(long Covers) : PullPlan;
}
