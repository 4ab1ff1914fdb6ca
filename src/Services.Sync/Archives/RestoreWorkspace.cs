using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;
using Services.Sync.Changes;
using SyncEngine.Backend.Apps;
using SyncEngine.Backend.Security;
using SyncEngine.ServiceDefaults.Problems;

namespace Services.Sync.Archives;

/// <summary>The answer to a restore: the workspace, its app, its head, and its owner's new master token.</summary>
public sealed record RestoredWorkspace(Guid WorkspaceId, string AppId, Guid OwnerClientId, long Head, string Token);

/// <summary>
/// <c>POST /admin/apps/{appId}/archives</c>: restores an archive (ArchiveFormat) into the app, byte for byte, streamed.
/// Everything is written in one transaction, the changes by binary COPY as they arrive, and committed only once the end
/// record's checksum matched and Workspace has recorded the workspace and issued its owner a new master token (the old
/// deployment's tokens do not verify here): a corrupt or truncated archive leaves nothing (422), an id in use is 409
/// <c>workspace-exists</c>, an erased one 410. Workspace recognises a retry of the same archive by its checksum, so a
/// restore can simply be sent again: one that failed after Workspace answered is done then, and one that was done
/// (its answer lost) answers as it did, with a new master token. An operator's restore is not held to the
/// app's quotas; it is to its released schema versions.
/// </summary>
public static class RestoreWorkspace
{
    public static void MapRestoreWorkspace(this IEndpointRouteBuilder app) =>
        app.MapPost("/admin/apps/{appId}/archives", Handle).RequireAuthorization(OperatorAuthentication.Policy).ExcludeFromDescription();

    private static async Task<IResult> Handle(
        string appId, HttpContext http, NpgsqlDataSource db, AppDirectory apps, WorkspaceRecords records, ErasedWorkspaces erased,
        IOptions<SyncOptions> options, CancellationToken ct)
    {
        if (apps.Find(appId) is not { } app)
        {
            return Problem.Result(Problem.Create(StatusCodes.Status404NotFound, ProblemCodes.AppNotFound, $"There is no app '{appId}'."));
        }

        // An archive is as large as its workspace: no body limit here beyond the gateway's (Gateway:MaxArchiveBytes).
        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = null;
        }

        var maxRecord = Math.Max(options.Value.MaxChangeBytes, options.Value.MaxSnapshotBytes) + ArchiveFormat.ChangeHeaderLength;
        using var reader = new ArchiveReader(http.Request.Body, maxRecord);
        try
        {
            var metadata = await reader.StartAsync(ct);
            if (metadata.SchemaVersion > app.Settings.MaxSchemaVersion)
            {
                return Problem.Result(Problem.Create(StatusCodes.Status400BadRequest, ProblemCodes.UnknownVersion,
                    $"The archive's workspace is at schema version {metadata.SchemaVersion}; the app '{appId}' has released up to " +
                    $"{app.Settings.MaxSchemaVersion}. Raise its maxSchemaVersion first."));
            }

            if (await erased.IsErasedAsync(http.RequestServices, metadata.WorkspaceId, ct))
            {
                return Erasure.Gone(metadata.WorkspaceId);
            }

            await using var connection = await db.OpenConnectionAsync(ct);
            await using var tx = await connection.BeginTransactionAsync(ct);
            if (!await OpenLogAsync(connection, tx, metadata, appId, ct))
            {
                await tx.RollbackAsync(ct);
                // The rest of the archive may take long to arrive; nothing more is written, so the connection goes back.
                await connection.CloseAsync();
                return await SentAgainAsync(reader, metadata, appId, records, http.Request.Headers.Authorization.ToString(), ct);
            }

            var (stored, end) = await CopyRecordsAsync(connection, tx, reader, metadata, ct);
            await using (var count = new NpgsqlCommand($"update {SyncSchema.Logs} set stored_bytes = $2 where workspace_id = $1", connection, tx))
            {
                count.Parameters.AddWithValue(metadata.WorkspaceId);
                count.Parameters.AddWithValue(stored);
                await count.ExecuteNonQueryAsync(ct);
            }

            var (owner, refused) = await records.RestoreAsync(appId, metadata, Convert.ToHexString(end.Checksum), http.Request.Headers.Authorization.ToString(), ct);
            if (owner is null)
            {
                return ArchiveProblems.From(refused!);
            }

            await tx.CommitAsync(ct);
            return Restored(metadata, appId, owner);
        }
        catch (InvalidArchiveException e)
        {
            return ArchiveProblems.Invalid(e.Message);
        }
        catch (BadHttpRequestException e)
        {
            // The upload broke off (the client went away, or a body over Kestrel's limits).
            return Problem.Result(Problem.InvalidRequest($"The archive could not be read to its end: {e.Message}"));
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            return ArchiveProblems.Invalid($"The archive holds the same change twice (or one idempotency key for two changes): {e.ConstraintName}.");
        }
    }

    private static IResult Restored(ArchiveMetadata metadata, string appId, RestoredOwner owner) =>
        Results.Created($"/admin/workspaces/{metadata.WorkspaceId}",
            new RestoredWorkspace(metadata.WorkspaceId, appId, metadata.OwnerClientId, metadata.Head, owner.Token));

    /// <summary>
    /// The id is taken here. If by this very archive (a restore committed whose answer the operator never got, so it
    /// is sent again), the answer is the first one's, with a new master token: the archive is read to its end for its
    /// checksum, and Workspace, which recorded the restore under it, recognises the retry. Anything else is 409.
    /// Nothing is written either way.
    /// </summary>
    private static async Task<IResult> SentAgainAsync(
        ArchiveReader reader, ArchiveMetadata metadata, string appId, WorkspaceRecords records, string authorization, CancellationToken ct)
    {
        ArchiveRecord record;
        do
        {
            record = await reader.NextAsync(ct);
        }
        while (record is not ArchiveRecord.EndRecord);

        var checksum = Convert.ToHexString(((ArchiveRecord.EndRecord)record).Checksum);
        var (owner, refused) = await records.RestoreAsync(appId, metadata, checksum, authorization, ct);
        return owner is not null ? Restored(metadata, appId, owner)
            : refused!.Status == StatusCodes.Status409Conflict ? Exists(metadata.WorkspaceId)
            : ArchiveProblems.From(refused);
    }

    private static IResult Exists(Guid workspaceId) => Problem.Result(Problem.Create(StatusCodes.Status409Conflict, ProblemCodes.WorkspaceExists,
        $"Workspace {workspaceId} exists in this deployment; an archive restores only an id that is free here."));

    /// <summary>
    /// The workspace's log, as the archive has it. A log that exists already is taken only while it is empty (a
    /// WorkspaceClaimed of an earlier attempt of this restore opened it); any other is an id in use.
    /// </summary>
    private static async Task<bool> OpenLogAsync(NpgsqlConnection connection, NpgsqlTransaction tx, ArchiveMetadata metadata, string appId, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(
            $"""
            insert into {SyncSchema.Logs} (workspace_id, head, schema_version, pruned_through, format, stored_bytes, app_id)
            values ($1, $2, $3, $4, $5, 0, $6)
            on conflict (workspace_id) do update set head = excluded.head, schema_version = excluded.schema_version,
                pruned_through = excluded.pruned_through, format = excluded.format, stored_bytes = 0, app_id = excluded.app_id
            where {SyncSchema.Logs}.head = 0
                and not exists (select 1 from {SyncSchema.Snapshots} s where s.workspace_id = excluded.workspace_id)
            returning workspace_id
            """, connection, tx);
        command.Parameters.AddWithValue(metadata.WorkspaceId);
        command.Parameters.AddWithValue(metadata.Head);
        command.Parameters.AddWithValue(metadata.SchemaVersion);
        command.Parameters.AddWithValue(metadata.PrunedThrough);
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)metadata.Format ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        command.Parameters.AddWithValue(appId);
        return await command.ExecuteScalarAsync(ct) is not null;
    }

    /// <summary>Snapshots by insert, then every change by binary COPY as it is read; the payload bytes stored, and the end.</summary>
    private static async Task<(long Stored, ArchiveRecord.EndRecord End)> CopyRecordsAsync(
        NpgsqlConnection connection, NpgsqlTransaction tx, ArchiveReader reader, ArchiveMetadata metadata, CancellationToken ct)
    {
        long stored = 0;
        var record = await reader.NextAsync(ct);
        while (record is ArchiveRecord.SnapshotRecord snapshot)
        {
            await using var insert = new NpgsqlCommand(
                $"insert into {SyncSchema.Snapshots} (workspace_id, covers, data, client_id, created_at) values ($1, $2, $3, $4, $5)", connection, tx);
            insert.Parameters.AddWithValue(metadata.WorkspaceId);
            insert.Parameters.AddWithValue(snapshot.Covers);
            insert.Parameters.AddWithValue(snapshot.Data);
            insert.Parameters.AddWithValue(snapshot.ClientId);
            insert.Parameters.AddWithValue(snapshot.StoredAt);
            await insert.ExecuteNonQueryAsync(ct);
            stored += snapshot.Data.Length;
            record = await reader.NextAsync(ct);
        }

        if (record is ArchiveRecord.ChangeRecord)
        {
            await using var copy = await connection.BeginBinaryImportAsync(
                $"copy {SyncSchema.Changes} (workspace_id, seq, idempotency_key, sha256, data, client_id, schema_version, created_at) from stdin (format binary)",
                ct);
            while (record is ArchiveRecord.ChangeRecord change)
            {
                await copy.StartRowAsync(ct);
                await copy.WriteAsync(metadata.WorkspaceId, NpgsqlDbType.Uuid, ct);
                await copy.WriteAsync(change.Seq, NpgsqlDbType.Bigint, ct);
                await copy.WriteAsync(change.IdempotencyKey, NpgsqlDbType.Uuid, ct);
                await copy.WriteAsync(System.Security.Cryptography.SHA256.HashData(change.Data), NpgsqlDbType.Bytea, ct);
                await copy.WriteAsync(change.Data, NpgsqlDbType.Bytea, ct);
                await copy.WriteAsync(change.ClientId, NpgsqlDbType.Uuid, ct);
                await copy.WriteAsync(change.SchemaVersion, NpgsqlDbType.Integer, ct);
                await copy.WriteAsync(change.StoredAt, NpgsqlDbType.TimestampTz, ct);
                stored += change.Data.Length;
                record = await reader.NextAsync(ct);
            }

            // Only after the end record's checksum matched: an archive that breaks off leaves the COPY cancelled.
            if (record is ArchiveRecord.EndRecord)
            {
                await copy.CompleteAsync(ct);
            }
        }

        return record is ArchiveRecord.EndRecord end ? (stored, end) : throw new InvalidArchiveException("A snapshot follows a change.");
    }
}
