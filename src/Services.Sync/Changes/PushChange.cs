using System.Security.Claims;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;
using Microsoft.OpenApi;
using Npgsql;
using Services.Sync.Live;
using SyncEngine.Backend.OpenApi;
using SyncEngine.Backend.Security;
using SyncEngine.ServiceDefaults.Problems;
using SyncEngine.Tokens;

namespace Services.Sync.Changes;

/// <summary>
/// Appends one change: <see cref="Validate"/> the headers and <see cref="RequestBody.Check"/> the body (pure), then one
/// call of <c>sync.append_change</c> (SyncSchema.cs; batched with concurrent pushes by <see cref="ChangeWriter"/>), which decides what the push amounts to (<see cref="PushOutcome"/>:
/// the idempotency check, the format, the schema-version gate, the stored-bytes quota) and appends under the workspace's
/// log row lock, in one transaction, so the 201 follows a durable commit and sequence numbers are gap-free whichever
/// replica takes the push. The new head is then announced to live streams on every replica (HeadAnnouncer).
/// </summary>
public static class PushChange
{
    public static void MapPushChange(this IEndpointRouteBuilder app) =>
        app.MapPost("/api/workspaces/{workspaceId}/changes", Handle).RequireAuthorization(AccessPolicies.Writer);

    [EndpointName("pushChange")]
    [EndpointSummary("Append a change")]
    [EndpointDescription("Stores the body as the workspace's next change, once: the same Idempotency-Key again returns the same " +
        "seq (200) and stores nothing. A Sync-Schema-Version older than the workspace's is refused with outdated-version, one newer " +
        "than the newest released (Sync:MaxSchemaVersion) with unknown-version.")]
    [Tags("Changes")]
    [ApiBinaryBody("application/octet-stream", "The change: opaque bytes (a Loro update for Loro apps), at most Sync:MaxChangeBytes (4 MiB).")]
    [ApiParameter(SyncHeaders.IdempotencyKey, ParameterLocation.Header, typeof(Guid),
        "A UUID the client keeps with the pending change; a retry sends the same.", Required = true)]
    [ApiParameter(SyncHeaders.SchemaVersion, ParameterLocation.Header, typeof(int),
        "The app's document schema version (non-negative).", Required = true)]
    [ProducesResponseType<PushedChange>(StatusCodes.Status201Created, Description = "Appended: its seq.")]
    [ProducesResponseType<PushedChange>(StatusCodes.Status200OK, Description = "Stored before under this Idempotency-Key: its seq.")]
    [ProblemResponse(StatusCodes.Status400BadRequest, ProblemCodes.InvalidRequest, ProblemCodes.MissingVersion, ProblemCodes.UnknownVersion,
        Description = "unknown-version carries maxSchemaVersion: keep the change and push it again once the deployment knows the version.")]
    [ProblemResponse(StatusCodes.Status403Forbidden, ProblemCodes.QuotaExceeded,
        Description = "The workspace's stored bytes would pass its app's maxWorkspaceBytes, or the app's all together its maxAppBytes: carries quota (the name), limit and used.")]
    [ProblemResponse(StatusCodes.Status409Conflict, ProblemCodes.IdempotencyConflict, ProblemCodes.OutdatedVersion,
        Description = "outdated-version carries currentVersion: update the app, migrate, then push again.")]
    [ProblemResponse(StatusCodes.Status413PayloadTooLarge, ProblemCodes.PayloadTooLarge)]
    [ProblemResponse(StatusCodes.Status422UnprocessableEntity, ProblemCodes.InvalidDocument,
        Description = "Starts like a Loro export but its header, checksum or encode mode is wrong, or it is a Loro snapshot, not an " +
            "update, or its format (Loro or opaque) is not the one the workspace's first change fixed.")]
    private static async Task<IResult> Handle(
        Guid workspaceId, HttpRequest request, ClaimsPrincipal user, ChangeWriter writer,
        MaxSchemaVersion maxSchemaVersion, SyncProblems problems, SyncMetrics metrics, HeadAnnouncer announcer, HeadNotifications notifications,
        Usage.AppUsageRecorder usage, CancellationToken ct)
    {
        // The headers first: an unknown version is refused before the body is read.
        var limits = maxSchemaVersion.For(user);
        if (Validate(request.Headers[SyncHeaders.IdempotencyKey], request.Headers[SyncHeaders.SchemaVersion], limits.MaxSchemaVersion)
            .IsInvalid(out var problem, out var headers))
        {
            return problems.Reject(problem);
        }

        var max = limits.MaxChangeBytes;
        if (RequestBody.Check(await RequestBody.ReadBoundedAsync(request, max, ct), max, LoroEnvelope.Mode.FastUpdates, "A change cannot be empty.")
            .IsInvalid(out problem, out var body))
        {
            return problems.Reject(problem);
        }

        var outcome = await writer.AppendAsync(workspaceId, headers, body, TokenHolder.From(user)!.ClientId, limits, ct);
        switch (outcome)
        {
            case PushOutcome.Appended(var seq):
                metrics.Pushed(body.Data.Length, limits.AppId);
                usage.Pushed(limits.AppId, body.Data.Length);
                notifications.Committed(workspaceId, seq, body.Data);
                announcer.Announce(workspaceId, seq, body.Data);
                return Results.Created($"/api/workspaces/{workspaceId}/changes?after={seq - 1}", new PushedChange(seq));
            case PushOutcome.Replayed(var seq):
                return Results.Ok(new PushedChange(seq));
            default:
                return problems.Reject(Refusal(outcome, headers, limits));
        }
    }

    /// <summary>The request's headers, or the problem with them; <paramref name="maxSchemaVersion"/> is the newest released.</summary>
    public static Validated<PushHeaders> Validate(StringValues idempotencyKey, StringValues schemaVersion, int maxSchemaVersion)
    {
        if (!Guid.TryParse(idempotencyKey, out var key))
        {
            return Validated.Invalid<PushHeaders>(SyncProblems.Invalid($"The {SyncHeaders.IdempotencyKey} header must be a UUID."));
        }

        if (ValidateVersion(schemaVersion, maxSchemaVersion).IsInvalid(out var problem, out var version))
        {
            return Validated.Invalid<PushHeaders>(problem);
        }

        return Validated.Valid(new PushHeaders(key, version));
    }

    /// <summary>
    /// <c>Sync-Schema-Version</c> of a write (a push or a snapshot): present, a non-negative integer, and released
    /// (<paramref name="maxSchemaVersion"/>), so no writer moves a workspace to a version no released client has.
    /// </summary>
    public static Validated<int> ValidateVersion(StringValues schemaVersion, int maxSchemaVersion)
    {
        if (schemaVersion.Count == 0)
        {
            return Validated.Invalid<int>(Problem.Create(StatusCodes.Status400BadRequest, ProblemCodes.MissingVersion,
                $"The {SyncHeaders.SchemaVersion} header (the app's document schema version) is required."));
        }

        if (!int.TryParse(schemaVersion, out var version) || version < 0)
        {
            return Validated.Invalid<int>(SyncProblems.Invalid($"{SyncHeaders.SchemaVersion} must be a non-negative integer."));
        }

        if (!MaxSchemaVersion.Allows(version, maxSchemaVersion))
        {
            var unknown = Problem.Create(StatusCodes.Status400BadRequest, ProblemCodes.UnknownVersion,
                $"Schema version {version} has not been released here (the newest is {maxSchemaVersion}). Keep the change and push it again later.");
            unknown.Extensions["maxSchemaVersion"] = maxSchemaVersion;
            return Validated.Invalid<int>(unknown);
        }

        return Validated.Valid(version);
    }

    /// <summary>The answer to a push the log refused.</summary>
    public static ProblemDetails Refusal(PushOutcome outcome, PushHeaders headers, MaxSchemaVersion.Limits limits)
    {
        switch (outcome)
        {
            case PushOutcome.KeyConflict(var seq):
                return Problem.Create(StatusCodes.Status409Conflict, ProblemCodes.IdempotencyConflict,
                    $"Idempotency-Key {headers.IdempotencyKey} was already used for different bytes (seq {seq}).");
            case PushOutcome.WrongFormat(var workspaceFormat):
                return SyncProblems.WrongFormat(workspaceFormat);
            case PushOutcome.OverQuota(var used):
                return SyncProblems.QuotaExceeded(limits.MaxWorkspaceBytes, used);
            case PushOutcome.AppOverQuota(var used):
                return SyncProblems.QuotaExceeded(limits.MaxAppBytes ?? 0, used, AppQuota.Name);
            case PushOutcome.Outdated(var currentVersion):
                var outdated = Problem.Create(StatusCodes.Status409Conflict, ProblemCodes.OutdatedVersion,
                    $"This workspace is at schema version {currentVersion}; the app sent {headers.SchemaVersion}. Update the app, then push again.");
                outdated.Extensions["currentVersion"] = currentVersion;
                return outdated;
            default:
                throw new ArgumentOutOfRangeException(nameof(outcome), outcome, "Not a refusal.");
        }
    }

    /// <summary>One round trip: <c>sync.append_change</c> decides and appends under the log's row lock.</summary>
    public static async Task<PushOutcome> AppendAsync(
        NpgsqlDataSource db, Guid workspaceId, PushHeaders headers, CheckedBody body, Guid clientId, MaxSchemaVersion.Limits limits, CancellationToken ct)
    {
        await using var push = db.CreateCommand(AppendSql);
        AddAppendParameters(push.Parameters, workspaceId, headers, SHA256.HashData(body.Data), body, clientId, limits);
        await using var reader = await push.ExecuteReaderAsync(ct);
        await reader.ReadAsync(ct);
        return PushOutcome.Read(reader.GetString(0), reader.GetInt64(1), reader.GetInt32(2), reader.GetInt64(3), body.Format);
    }

    /// <summary>The push function's call; its row is read by <see cref="PushOutcome.Read"/>.</summary>
    public const string AppendSql =
        $"select outcome, seq, current_version, used_bytes from {SyncSchema.PushFunction}($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)";

    public static void AddAppendParameters(
        NpgsqlParameterCollection parameters, Guid workspaceId, PushHeaders headers, byte[] hash, CheckedBody body, Guid clientId, MaxSchemaVersion.Limits limits)
    {
        parameters.AddWithValue(workspaceId);
        parameters.AddWithValue(headers.IdempotencyKey);
        parameters.AddWithValue(hash);
        parameters.AddWithValue(body.Data);
        parameters.AddWithValue(clientId);
        parameters.AddWithValue(headers.SchemaVersion);
        parameters.AddWithValue(body.Format);
        parameters.AddWithValue(limits.MaxWorkspaceBytes);
        parameters.Add(new NpgsqlParameter { Value = (object?)limits.AppId ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        parameters.AddWithValue(limits.IsDefaultApp);
        parameters.Add(new NpgsqlParameter { Value = (object?)limits.MaxAppBytes ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Bigint });
    }
}

public sealed record PushHeaders(Guid IdempotencyKey, int SchemaVersion);

/// <summary>
/// What a push amounted to. Decided by <c>sync.append_change</c> (SyncSchema.cs) under the workspace's log row lock, in
/// this order: the same Idempotency-Key again (a replay, or a conflict when the bytes differ), then the workspace's
/// format, the schema version, the quota; otherwise appended. The decision stays in SQL so the lock is held for one
/// statement, not one round trip per step (docs/benchmarks.md, "one round trip per push"); this type is its result.
/// </summary>
public abstract record PushOutcome
{
    private PushOutcome() { }

    public sealed record Appended(long Seq) : PushOutcome;

    /// <summary>Stored before under this key with the same bytes: nothing stored now.</summary>
    public sealed record Replayed(long Seq) : PushOutcome;

    /// <summary>The key was used for other bytes, at <paramref name="Seq"/>.</summary>
    public sealed record KeyConflict(long Seq) : PushOutcome;

    /// <summary>The workspace's first change fixed <paramref name="WorkspaceFormat"/>, and the body is the other one.</summary>
    public sealed record WrongFormat(string WorkspaceFormat) : PushOutcome;

    /// <summary>The workspace is at a later schema version than the push carries.</summary>
    public sealed record Outdated(int CurrentVersion) : PushOutcome;

    /// <summary>The workspace stores <paramref name="Used"/> bytes; this change would take it past the quota.</summary>
    public sealed record OverQuota(long Used) : PushOutcome;

    /// <summary>The workspace's app stores <paramref name="Used"/> bytes; this change would take it past maxAppBytes.</summary>
    public sealed record AppOverQuota(long Used) : PushOutcome;

    /// <summary>The push function's row: its outcome, the seq it concerns, the log's version and stored bytes.</summary>
    public static PushOutcome Read(string outcome, long seq, int currentVersion, long usedBytes, string bodyFormat) => outcome switch
    {
        "appended" => new Appended(seq),
        "replay" => new Replayed(seq),
        "key-conflict" => new KeyConflict(seq),
        // Two formats: the workspace's is the one the body is not.
        "wrong-format" => new WrongFormat(bodyFormat == SyncSchema.LoroFormat ? SyncSchema.OpaqueFormat : SyncSchema.LoroFormat),
        "outdated" => new Outdated(currentVersion),
        "quota" => new OverQuota(usedBytes),
        "app-quota" => new AppOverQuota(usedBytes),
        _ => throw new InvalidOperationException($"{SyncSchema.PushFunction} answered an unknown outcome '{outcome}'."),
    };
}

public sealed record PushedChange(long Seq);
