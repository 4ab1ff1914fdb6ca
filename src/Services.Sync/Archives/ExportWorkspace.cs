using System.Data;
using Microsoft.AspNetCore.Mvc;
using Npgsql;
using Services.Sync.Changes;
using SyncEngine.Backend.Security;
using SyncEngine.ServiceDefaults.Problems;

namespace Services.Sync.Archives;

/// <summary>
/// <c>GET /admin/workspaces/{id}/archive</c>: the workspace as a portable archive (ArchiveFormat), streamed. Its record
/// (app, owner, members) comes from Workspace; its log, snapshots and every retained change from one repeatable-read
/// transaction here, so the archive is one consistent moment of the workspace while pushes go on. Rows are read one at
/// a time (sequential access) and written out as they come: memory stays at one change or snapshot, whatever the size.
/// </summary>
public static class ExportWorkspace
{
    public static void MapExportWorkspace(this IEndpointRouteBuilder app) =>
        app.MapGet("/admin/workspaces/{workspaceId}/archive", Handle).RequireAuthorization(OperatorAuthentication.Policy).ExcludeFromDescription();

    private static async Task Handle(Guid workspaceId, HttpContext http, NpgsqlDataSource db, WorkspaceRecords records, TimeProvider clock, CancellationToken ct)
    {
        var (record, problem) = await records.GetAsync(workspaceId, http.Request.Headers.Authorization.ToString(), ct);
        if (record is null)
        {
            await ArchiveProblems.From(problem!).ExecuteAsync(http);
            return;
        }

        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(IsolationLevel.RepeatableRead, ct);
        var (head, schemaVersion, format, prunedThrough) = await LogAsync(connection, tx, workspaceId, ct);
        var metadata = new ArchiveMetadata(
            ArchiveFormat.Version, workspaceId, record.AppId, record.OwnerClientId, record.OwnerSubject, record.CreatedAt, head, schemaVersion,
            format, prunedThrough, clock.GetUtcNow(), record.Members);

        http.Response.ContentType = ArchiveFormat.ContentType;
        http.Response.Headers.ContentDisposition = $"attachment; filename=\"{workspaceId}.searchive\"";
        using var writer = new ArchiveWriter(http.Response.Body);
        await writer.StartAsync(metadata, ct);
        await using (var snapshots = new NpgsqlCommand(
            $"select covers, client_id, created_at, data from {SyncSchema.Snapshots} where workspace_id = $1 order by covers", connection, tx))
        {
            snapshots.Parameters.AddWithValue(workspaceId);
            await using var reader = await snapshots.ExecuteReaderAsync(CommandBehavior.SequentialAccess, ct);
            while (await reader.ReadAsync(ct))
            {
                await writer.SnapshotAsync(reader.GetInt64(0), reader.GetGuid(1), reader.GetFieldValue<DateTimeOffset>(2), reader.GetFieldValue<byte[]>(3), ct);
            }
        }

        await using (var changes = new NpgsqlCommand(
            $"select seq, client_id, idempotency_key, schema_version, created_at, data from {SyncSchema.Changes} where workspace_id = $1 order by seq",
            connection, tx))
        {
            changes.Parameters.AddWithValue(workspaceId);
            await using var reader = await changes.ExecuteReaderAsync(CommandBehavior.SequentialAccess, ct);
            while (await reader.ReadAsync(ct))
            {
                await writer.ChangeAsync(reader.GetInt64(0), reader.GetGuid(1), reader.GetGuid(2), reader.GetInt32(3),
                    reader.GetFieldValue<DateTimeOffset>(4), reader.GetFieldValue<byte[]>(5), ct);
            }
        }

        await writer.EndAsync(ct);
        await tx.CommitAsync(ct);
    }

    /// <summary>The log's head, schema version, format and pruned seq; a workspace nobody pushed to has none yet.</summary>
    private static async Task<(long Head, int SchemaVersion, string? Format, long PrunedThrough)> LogAsync(
        NpgsqlConnection connection, NpgsqlTransaction tx, Guid workspaceId, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(
            $"select head, schema_version, format, pruned_through from {SyncSchema.Logs} where workspace_id = $1", connection, tx);
        command.Parameters.AddWithValue(workspaceId);
        await using var reader = await command.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct)
            ? (reader.GetInt64(0), reader.GetInt32(1), reader.IsDBNull(2) ? null : reader.GetString(2), reader.GetInt64(3))
            : (0, 0, null, 0);
    }
}

/// <summary>Problems of the archive routes.</summary>
public static class ArchiveProblems
{
    /// <summary>Workspace's answer, passed on with its status and code.</summary>
    public static IResult From(ProblemDetails problem) => Problem.Result(Problem.Create(
        problem.Status ?? StatusCodes.Status503ServiceUnavailable,
        problem.Extensions.TryGetValue("code", out var code) && code?.ToString() is { Length: > 0 } text ? text : ProblemCodes.Unavailable,
        problem.Detail ?? "Workspace could not answer."));

    public static IResult Invalid(string detail) =>
        Problem.Result(Problem.Create(StatusCodes.Status422UnprocessableEntity, ProblemCodes.InvalidDocument, detail));
}
