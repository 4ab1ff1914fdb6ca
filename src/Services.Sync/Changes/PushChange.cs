using System.Security.Claims;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using Microsoft.OpenApi;
using Npgsql;
using Services.Sync.Live;
using SyncEngine.Backend.OpenApi;
using SyncEngine.Backend.Security;
using SyncEngine.ServiceDefaults.Problems;
using SyncEngine.Tokens;

namespace Services.Sync.Changes;

/// <summary>
/// Appends one change with a single call of <c>sync.append_change</c> (SyncSchema.cs): under the workspace's log row lock,
/// the idempotency check, the format, the schema-version gate, the stored-bytes quota, the next seq and the insert, all
/// in one transaction, so the 201
/// follows a durable commit and sequence numbers are gap-free whichever replica takes the push. The new head is then
/// announced to live streams on every replica (HeadAnnouncer).
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
        Description = "The workspace's stored bytes would pass Sync:MaxWorkspaceBytes: carries quota (maxWorkspaceBytes), limit and used.")]
    [ProblemResponse(StatusCodes.Status409Conflict, ProblemCodes.IdempotencyConflict, ProblemCodes.OutdatedVersion,
        Description = "outdated-version carries currentVersion: update the app, migrate, then push again.")]
    [ProblemResponse(StatusCodes.Status413PayloadTooLarge, ProblemCodes.PayloadTooLarge)]
    [ProblemResponse(StatusCodes.Status422UnprocessableEntity, ProblemCodes.InvalidDocument,
        Description = "Starts like a Loro export but its header, checksum or encode mode is wrong, or it is a Loro snapshot, not an " +
            "update, or its format (Loro or opaque) is not the one the workspace's first change fixed.")]
    private static async Task<IResult> Handle(
        Guid workspaceId, HttpRequest request, ClaimsPrincipal user, NpgsqlDataSource db, IOptions<SyncOptions> options,
        MaxSchemaVersion maxSchemaVersion, SyncProblems problems, SyncMetrics metrics, HeadAnnouncer announcer, CancellationToken ct)
    {
        if (!Guid.TryParse(request.Headers[SyncHeaders.IdempotencyKey], out var key))
        {
            return problems.Invalid($"The {SyncHeaders.IdempotencyKey} header must be a UUID.");
        }

        if (request.Headers[SyncHeaders.SchemaVersion].Count == 0)
        {
            return problems.Reject(StatusCodes.Status400BadRequest, ProblemCodes.MissingVersion,
                $"The {SyncHeaders.SchemaVersion} header (the app's document schema version) is required.");
        }

        if (!int.TryParse(request.Headers[SyncHeaders.SchemaVersion], out var version) || version < 0)
        {
            return problems.Invalid($"{SyncHeaders.SchemaVersion} must be a non-negative integer.");
        }

        if (maxSchemaVersion.For(workspaceId) is var newest && !MaxSchemaVersion.Allows(version, newest))
        {
            return problems.Reject(StatusCodes.Status400BadRequest, ProblemCodes.UnknownVersion,
                $"Schema version {version} has not been released here (the newest is {newest}). Keep the change and push it again later.",
                problem => problem.Extensions["maxSchemaVersion"] = newest);
        }

        var max = options.Value.MaxChangeBytes;
        var data = await RequestBody.ReadBoundedAsync(request, max, ct);
        if (data is null)
        {
            return problems.TooLarge(max);
        }

        if (data.Length == 0)
        {
            return problems.Invalid("A change cannot be empty.");
        }

        if (problems.InvalidLoro(data, LoroEnvelope.Mode.FastUpdates) is { } invalid)
        {
            return invalid;
        }

        var format = LoroEnvelope.Check(data, LoroEnvelope.Mode.FastUpdates) == LoroEnvelope.Verdict.Valid ? SyncSchema.LoroFormat : SyncSchema.OpaqueFormat;
        var maxBytes = options.Value.MaxWorkspaceBytes;
        await using var push = db.CreateCommand(
            $"select outcome, seq, current_version, used_bytes from {SyncSchema.PushFunction}($1, $2, $3, $4, $5, $6, $7, $8)");
        push.Parameters.AddWithValue(workspaceId);
        push.Parameters.AddWithValue(key);
        push.Parameters.AddWithValue(SHA256.HashData(data));
        push.Parameters.AddWithValue(data);
        push.Parameters.AddWithValue(TokenHolder.From(user)!.ClientId);
        push.Parameters.AddWithValue(version);
        push.Parameters.AddWithValue(format);
        push.Parameters.AddWithValue(maxBytes);
        await using var reader = await push.ExecuteReaderAsync(ct);
        await reader.ReadAsync(ct);
        var (outcome, seq, currentVersion, used) = (reader.GetString(0), reader.GetInt64(1), reader.GetInt32(2), reader.GetInt64(3));
        switch (outcome)
        {
            case "appended":
                metrics.Pushed(data.Length);
                announcer.Announce(workspaceId, seq);
                return Results.Created($"/api/workspaces/{workspaceId}/changes?after={seq - 1}", new PushedChange(seq));
            case "replay":
                return Results.Ok(new PushedChange(seq));
            case "key-conflict":
                return problems.Reject(StatusCodes.Status409Conflict, ProblemCodes.IdempotencyConflict,
                    $"Idempotency-Key {key} was already used for different bytes (seq {seq}).");
            case "wrong-format":
                return problems.WrongFormat(format == SyncSchema.LoroFormat ? SyncSchema.OpaqueFormat : SyncSchema.LoroFormat);
            case "quota":
                return problems.QuotaExceeded(maxBytes, used);
            default:
                return problems.Reject(StatusCodes.Status409Conflict, ProblemCodes.OutdatedVersion,
                    $"This workspace is at schema version {currentVersion}; the app sent {version}. Update the app, then push again.",
                    problem => problem.Extensions["currentVersion"] = currentVersion);
        }
    }
}

public sealed record PushedChange(long Seq);
