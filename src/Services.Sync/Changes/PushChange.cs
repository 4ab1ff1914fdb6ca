using System.Security.Claims;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using Microsoft.OpenApi;
using Npgsql;
using Services.Sync.Live;
using SyncEngine.ServiceDefaults.OpenApi;
using SyncEngine.ServiceDefaults.Problems;
using SyncEngine.ServiceDefaults.Security;

namespace Services.Sync.Changes;

/// <summary>
/// Appends one change with a single call of <c>sync.push_change</c> (SyncSchema.cs): under the workspace's log row lock,
/// the idempotency check, the schema-version gate, the next seq and the insert, all in one transaction, so the 201
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
        "seq (200) and stores nothing. A Sync-Schema-Version older than the workspace's is refused with outdated-version.")]
    [Tags("Changes")]
    [ApiBinaryBody("application/octet-stream", "The change: opaque bytes (a Loro update for Loro apps), at most Sync:MaxChangeBytes (4 MiB).")]
    [ApiParameter(SyncHeaders.IdempotencyKey, ParameterLocation.Header, typeof(Guid),
        "A UUID the client keeps with the pending change; a retry sends the same.", Required = true)]
    [ApiParameter(SyncHeaders.SchemaVersion, ParameterLocation.Header, typeof(int),
        "The app's document schema version (non-negative).", Required = true)]
    [ProducesResponseType<PushedChange>(StatusCodes.Status201Created, Description = "Appended: its seq.")]
    [ProducesResponseType<PushedChange>(StatusCodes.Status200OK, Description = "Stored before under this Idempotency-Key: its seq.")]
    [ProblemResponse(StatusCodes.Status400BadRequest, ProblemCodes.InvalidRequest, ProblemCodes.MissingVersion)]
    [ProblemResponse(StatusCodes.Status409Conflict, ProblemCodes.IdempotencyConflict, ProblemCodes.OutdatedVersion,
        Description = "outdated-version carries currentVersion: update the app, migrate, then push again.")]
    [ProblemResponse(StatusCodes.Status413PayloadTooLarge, ProblemCodes.PayloadTooLarge)]
    [ProblemResponse(StatusCodes.Status422UnprocessableEntity, ProblemCodes.InvalidDocument,
        Description = "Starts like a Loro export but its header, checksum or encode mode is wrong, or it is a Loro snapshot, not an update.")]
    private static async Task<IResult> Handle(
        Guid workspaceId, HttpRequest request, ClaimsPrincipal user, NpgsqlDataSource db, IOptions<SyncOptions> options,
        SyncProblems problems, SyncMetrics metrics, HeadAnnouncer announcer, CancellationToken ct)
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

        await using var push = db.CreateCommand(
            $"select outcome, seq, current_version from {SyncSchema.PushFunction}($1, $2, $3, $4, $5, $6)");
        push.Parameters.AddWithValue(workspaceId);
        push.Parameters.AddWithValue(key);
        push.Parameters.AddWithValue(SHA256.HashData(data));
        push.Parameters.AddWithValue(data);
        push.Parameters.AddWithValue(TokenHolder.From(user)!.ClientId);
        push.Parameters.AddWithValue(version);
        await using var reader = await push.ExecuteReaderAsync(ct);
        await reader.ReadAsync(ct);
        var (outcome, seq, currentVersion) = (reader.GetString(0), reader.GetInt64(1), reader.GetInt32(2));
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
            default:
                return problems.Reject(StatusCodes.Status409Conflict, ProblemCodes.OutdatedVersion,
                    $"This workspace is at schema version {currentVersion}; the app sent {version}. Update the app, then push again.",
                    problem => problem.Extensions["currentVersion"] = currentVersion);
        }
    }

    /// <summary>
    /// The log row, created if WorkspaceClaimed has not arrived yet (the token proves the claim), locked until commit.
    /// </summary>
    public static async Task<(long Head, int SchemaVersion)> LockLogAsync(
        NpgsqlConnection connection, NpgsqlTransaction tx, Guid workspaceId, CancellationToken ct)
    {
        await using (var open = new NpgsqlCommand($"insert into {SyncSchema.Logs} (workspace_id) values ($1) on conflict do nothing", connection, tx))
        {
            open.Parameters.AddWithValue(workspaceId);
            await open.ExecuteNonQueryAsync(ct);
        }

        await using var command = new NpgsqlCommand(
            $"select head, schema_version from {SyncSchema.Logs} where workspace_id = $1 for update", connection, tx);
        command.Parameters.AddWithValue(workspaceId);
        await using var reader = await command.ExecuteReaderAsync(ct);
        await reader.ReadAsync(ct);
        return (reader.GetInt64(0), reader.GetInt32(1));
    }
}

public sealed record PushedChange(long Seq);
