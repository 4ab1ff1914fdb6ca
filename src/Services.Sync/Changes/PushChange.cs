using System.Security.Claims;
using System.Security.Cryptography;
using Microsoft.Extensions.Options;
using Npgsql;
using SyncEngine.ServiceDefaults.Problems;
using SyncEngine.ServiceDefaults.Security;

namespace Services.Sync.Changes;

/// <summary>
/// Appends one change. Under the workspace's log row lock: the idempotency check, the schema-version gate, the next
/// seq, the insert and a NOTIFY for live streams (one round trip), all in one transaction, so the 201 follows a durable commit and
/// sequence numbers are gap-free whichever replica takes the push.
/// </summary>
public static class PushChange
{
    public static void MapPushChange(this IEndpointRouteBuilder app) =>
        app.MapPost("/api/workspaces/{workspaceId}/changes", Handle).RequireAuthorization(AccessPolicies.Writer);

    private static async Task<IResult> Handle(
        Guid workspaceId, HttpRequest request, ClaimsPrincipal user, NpgsqlDataSource db, IOptions<SyncOptions> options,
        SyncProblems problems, SyncMetrics metrics, CancellationToken ct)
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

        if (LoroEnvelope.Check(data) == LoroEnvelope.Verdict.Corrupt)
        {
            return problems.CorruptLoro();
        }

        var client = TokenHolder.From(user)!.ClientId;
        var digest = SHA256.HashData(data);
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);

        var (head, currentVersion) = await LockLogAsync(connection, tx, workspaceId, ct);
        var replay = await FindByKeyAsync(connection, tx, workspaceId, key, ct);
        if (replay is { } earlier)
        {
            return earlier.Digest.AsSpan().SequenceEqual(digest)
                ? Results.Ok(new PushedChange(earlier.Seq))
                : problems.Reject(StatusCodes.Status409Conflict, ProblemCodes.IdempotencyConflict,
                    $"Idempotency-Key {key} was already used for different bytes (seq {earlier.Seq}).");
        }

        if (version < currentVersion)
        {
            return problems.Reject(StatusCodes.Status409Conflict, ProblemCodes.OutdatedVersion,
                $"This workspace is at schema version {currentVersion}; the app sent {version}. Update the app, then push again.",
                problem => problem.Extensions["currentVersion"] = currentVersion);
        }

        var seq = head + 1;
        await using (var append = new NpgsqlBatch(connection, tx))
        {
            var insert = new NpgsqlBatchCommand(
                $"""
                insert into {SyncSchema.Changes} (workspace_id, seq, idempotency_key, sha256, data, client_id, schema_version)
                values ($1, $2, $3, $4, $5, $6, $7)
                """);
            insert.Parameters.AddWithValue(workspaceId);
            insert.Parameters.AddWithValue(seq);
            insert.Parameters.AddWithValue(key);
            insert.Parameters.AddWithValue(digest);
            insert.Parameters.AddWithValue(data);
            insert.Parameters.AddWithValue(client);
            insert.Parameters.AddWithValue(version);
            var advance = new NpgsqlBatchCommand($"update {SyncSchema.Logs} set head = $2, schema_version = $3 where workspace_id = $1");
            advance.Parameters.AddWithValue(workspaceId);
            advance.Parameters.AddWithValue(seq);
            advance.Parameters.AddWithValue(version);
            var notify = new NpgsqlBatchCommand("select pg_notify($1, $2)");
            notify.Parameters.AddWithValue(Live.HeadNotifications.HeadChannel);
            notify.Parameters.AddWithValue(Live.HeadNotifications.Payload(workspaceId, seq));
            append.BatchCommands.Add(insert);
            append.BatchCommands.Add(advance);
            append.BatchCommands.Add(notify);
            await append.ExecuteNonQueryAsync(ct);
        }

        await tx.CommitAsync(ct);
        metrics.Pushed(data.Length);
        return Results.Created($"/api/workspaces/{workspaceId}/changes?after={seq - 1}", new PushedChange(seq));
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

    private static async Task<(long Seq, byte[] Digest)?> FindByKeyAsync(
        NpgsqlConnection connection, NpgsqlTransaction tx, Guid workspaceId, Guid key, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(
            $"select seq, sha256 from {SyncSchema.Changes} where workspace_id = $1 and idempotency_key = $2", connection, tx);
        command.Parameters.AddWithValue(workspaceId);
        command.Parameters.AddWithValue(key);
        await using var reader = await command.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? (reader.GetInt64(0), (byte[])reader[1]) : null;
    }
}

public sealed record PushedChange(long Seq);
