using System.Security.Claims;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;
using Microsoft.OpenApi;
using Npgsql;
using Services.Sync.Changes;
using SyncEngine.Backend.OpenApi;
using SyncEngine.Backend.Security;
using SyncEngine.ServiceDefaults.Problems;
using SyncEngine.Tokens;

namespace Services.Sync.Snapshots;

/// <summary>
/// Stores a compacted document covering every change up to <c>Sync-Covers</c>. Pulls from before it get it instead of
/// the changes it covers when those are pruned or larger than it (PullChanges); the changes it covers are pruned once it
/// has been stored for the retention window (PruneCoveredChanges). Only the newest snapshot and the one before it are
/// kept, so snapshots cannot grow without bound; a snapshot for the seq of the newest replaces it (the newest upload
/// wins, and a retry after a lost answer is harmless), one older than the newest is refused rather than stored and
/// dropped at once.
/// </summary>
public static class UploadSnapshot
{
    public static void MapUploadSnapshot(this IEndpointRouteBuilder app) =>
        app.MapPost("/api/workspaces/{workspaceId}/snapshots", Handle).RequireAuthorization(AccessPolicies.Writer);

    [EndpointName("uploadSnapshot")]
    [EndpointSummary("Store a snapshot")]
    [EndpointDescription("A compacted document that includes every change up to Sync-Covers. Pulls from before it get it " +
        "instead of the changes it covers when those are pruned or add up to more bytes; the covered changes are kept for " +
        "Sync:CoveredChangeRetention after the snapshot is stored, then pruned. A snapshot for the seq the newest one covers " +
        "replaces it; only the newest and the one before it are kept.")]
    [Tags("Snapshots")]
    [ApiBinaryBody("application/octet-stream", "The snapshot: opaque bytes (a Loro snapshot for Loro apps), at most Sync:MaxSnapshotBytes (16 MiB).")]
    [ApiParameter(SyncHeaders.Covers, ParameterLocation.Header, typeof(long),
        "The seq of the last change the snapshot includes (positive, at most the workspace's head).", Required = true)]
    [ApiParameter(SyncHeaders.SchemaVersion, ParameterLocation.Header, typeof(int),
        "The app's document schema version the snapshot was written with (non-negative, released).", Required = true)]
    [ProducesResponseType<StoredSnapshot>(StatusCodes.Status201Created, Description = "Stored (replacing one for the same seq): the seq it covers.")]
    [ProblemResponse(StatusCodes.Status400BadRequest, ProblemCodes.InvalidRequest, ProblemCodes.MissingVersion, ProblemCodes.UnknownVersion,
        Description = "unknown-version carries maxSchemaVersion: a snapshot of an unreleased schema version is refused, as a push of one is.")]
    [ProblemResponse(StatusCodes.Status403Forbidden, ProblemCodes.QuotaExceeded,
        Description = "The workspace's stored bytes would pass its app's maxWorkspaceBytes, or the app's all together its maxAppBytes: carries quota (the name), limit and used.")]
    [ProblemResponse(StatusCodes.Status409Conflict, ProblemCodes.Conflict, Description = "A stored snapshot covers a later seq.")]
    [ProblemResponse(StatusCodes.Status413PayloadTooLarge, ProblemCodes.PayloadTooLarge)]
    [ProblemResponse(StatusCodes.Status422UnprocessableEntity, ProblemCodes.InvalidDocument,
        Description = "Starts like a Loro export but its header, checksum or encode mode is wrong, or it is a Loro update, not a " +
            "snapshot, or its format (Loro or opaque) is not the one the workspace's first change fixed.")]
    private static async Task<IResult> Handle(
        Guid workspaceId, HttpRequest request, ClaimsPrincipal user, NpgsqlDataSource db, IOptions<SyncOptions> options,
        MaxSchemaVersion appLimits, SyncProblems problems, SyncMetrics metrics, CancellationToken ct)
    {
        if (Validate(request.Headers[SyncHeaders.Covers]).IsInvalid(out var problem, out var covers))
        {
            return problems.Reject(problem);
        }

        // A snapshot is what a new device starts from: one of an unreleased schema would hand every newcomer a version no
        // released client writes, the hole the push gate closes (docs/design.md, "Apps on one backend").
        var limits = appLimits.For(user);
        if (PushChange.ValidateVersion(request.Headers[SyncHeaders.SchemaVersion], limits.MaxSchemaVersion).IsInvalid(out problem, out _))
        {
            return problems.Reject(problem);
        }

        var max = options.Value.MaxSnapshotBytes;
        if (RequestBody.Check(await RequestBody.ReadBoundedAsync(request, max, ct), max, LoroEnvelope.Mode.FastSnapshot, "A snapshot cannot be empty.")
            .IsInvalid(out problem, out var body))
        {
            return problems.Reject(problem);
        }

        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var (head, _, workspaceFormat, used) = await WorkspaceLog.LockAsync(connection, tx, workspaceId, ct);
        var stored = await StoredAsync(connection, tx, workspaceId, ct);
        var limit = limits.MaxWorkspaceBytes;
        var decision = Decide(covers, body.Data.Length, body.Format, head, workspaceFormat, stored, used, limit);
        if (decision is Decision.Store(_, var freeing) && limits is { MaxAppBytes: { } maxAppBytes, AppId: { } appId })
        {
            var appUsed = await AppQuota.LockAndCountAsync(connection, tx, workspaceId, appId, limits.IsDefaultApp, used, ct);
            if (!AppQuota.Allows(appUsed, body.Data.Length, freeing, maxAppBytes))
            {
                return problems.Reject(SyncProblems.QuotaExceeded(maxAppBytes, appUsed, AppQuota.Name));
            }
        }

        switch (decision)
        {
            case Decision.BeyondHead:
                return problems.Reject(SyncProblems.Invalid($"The workspace's head is {head}; a snapshot cannot cover seq {covers}."));
            case Decision.WrongFormat:
                return problems.Reject(SyncProblems.WrongFormat(workspaceFormat!));
            case Decision.Outdated(var newest):
                return problems.Reject(Problem.Create(StatusCodes.Status409Conflict, ProblemCodes.Conflict,
                    $"A stored snapshot covers seq {newest}, later than {covers}: pull, then snapshot the newer document."));
            case Decision.OverQuota:
                return problems.Reject(SyncProblems.QuotaExceeded(limit, used));
            case Decision.Store(var keep, var freed):
                await StoreAsync(connection, tx, workspaceId, covers, body.Data, TokenHolder.From(user)!.ClientId, keep, used - freed + body.Data.Length, ct);
                break;
        }

        await tx.CommitAsync(ct);
        metrics.SnapshotStored(body.Data.Length, limits.AppId);
        return Results.Created($"/api/workspaces/{workspaceId}/changes", new StoredSnapshot(covers));
    }

    /// <summary>The seq the snapshot covers, from <c>Sync-Covers</c>: the last change it includes.</summary>
    public static Validated<long> Validate(StringValues covers) =>
        long.TryParse(covers, out var seq) && seq >= 1
            ? Validated.Valid(seq)
            : Validated.Invalid<long>(SyncProblems.Invalid(
                $"The {SyncHeaders.Covers} header must be the positive seq of the last change the snapshot includes."));

    public abstract record Decision
    {
        private Decision() { }

        public sealed record BeyondHead : Decision;
        public sealed record WrongFormat : Decision;
        public sealed record Outdated(long NewestCovers) : Decision;
        public sealed record OverQuota : Decision;

        /// <summary>Store it, keeping the stored snapshot covering <paramref name="Keep"/> (if any) and deleting the rest (<paramref name="Freed"/> bytes).</summary>
        public sealed record Store(long? Keep, long Freed) : Decision;
    }

    /// <summary>
    /// What happens to a snapshot of <paramref name="size"/> bytes covering <paramref name="covers"/>, given the log and
    /// the stored snapshots (covers and bytes). The newest and the one before it are all that is kept: the new one, and
    /// the newest stored one older than it.
    /// </summary>
    public static Decision Decide(
        long covers, long size, string format, long head, string? workspaceFormat,
        IReadOnlyList<(long Covers, long Bytes)> stored, long used, long limit)
    {
        if (covers > head)
        {
            return new Decision.BeyondHead();
        }

        if (format != workspaceFormat)
        {
            return new Decision.WrongFormat();
        }

        if (stored.Count > 0 && stored.Max(s => s.Covers) is var newest && newest > covers)
        {
            return new Decision.Outdated(newest);
        }

        long? keep = stored.Where(s => s.Covers < covers).Select(s => (long?)s.Covers).Max();
        var freed = stored.Where(s => s.Covers != keep).Sum(s => s.Bytes);
        return WorkspaceQuota.Allows(used, size, freed, limit) ? new Decision.Store(keep, freed) : new Decision.OverQuota();
    }

    private static async Task<List<(long Covers, long Bytes)>> StoredAsync(
        NpgsqlConnection connection, NpgsqlTransaction tx, Guid workspaceId, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(
            $"select covers, octet_length(data)::bigint from {SyncSchema.Snapshots} where workspace_id = $1", connection, tx);
        command.Parameters.AddWithValue(workspaceId);
        await using var reader = await command.ExecuteReaderAsync(ct);
        var stored = new List<(long, long)>();
        while (await reader.ReadAsync(ct))
        {
            stored.Add((reader.GetInt64(0), reader.GetInt64(1)));
        }

        return stored;
    }

    private static async Task StoreAsync(
        NpgsqlConnection connection, NpgsqlTransaction tx, Guid workspaceId, long covers, byte[] data, Guid clientId,
        long? keep, long storedBytes, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(
            $"""
            with dropped as (
                delete from {SyncSchema.Snapshots} where workspace_id = $1 and covers <> $2 and covers is distinct from $5
            ), stored as (
                insert into {SyncSchema.Snapshots} (workspace_id, covers, data, client_id) values ($1, $2, $3, $4)
                on conflict (workspace_id, covers) do update set data = excluded.data, client_id = excluded.client_id, created_at = now()
            )
            update {SyncSchema.Logs} set stored_bytes = $6 where workspace_id = $1
            """, connection, tx);
        command.Parameters.AddWithValue(workspaceId);
        command.Parameters.AddWithValue(covers);
        command.Parameters.AddWithValue(data);
        command.Parameters.AddWithValue(clientId);
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)keep ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Bigint });
        command.Parameters.AddWithValue(storedBytes);
        await command.ExecuteNonQueryAsync(ct);
    }
}

public sealed record StoredSnapshot(long Covers);
