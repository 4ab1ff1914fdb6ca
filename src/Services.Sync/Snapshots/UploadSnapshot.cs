using System.Security.Claims;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using Microsoft.OpenApi;
using Npgsql;
using Services.Sync.Changes;
using SyncEngine.ServiceDefaults.OpenApi;
using SyncEngine.ServiceDefaults.Problems;
using SyncEngine.ServiceDefaults.Security;

namespace Services.Sync.Snapshots;

/// <summary>
/// Stores a compacted document covering every change up to <c>Sync-Covers</c>. Pulls from before it get it instead of
/// the changes it covers when those are pruned or larger than it (PullChanges); the changes it covers are pruned once it
/// has been stored for the retention window (PruneCoveredChanges).
/// </summary>
public static class UploadSnapshot
{
    public static void MapUploadSnapshot(this IEndpointRouteBuilder app) =>
        app.MapPost("/api/workspaces/{workspaceId}/snapshots", Handle).RequireAuthorization(AccessPolicies.Writer);

    [EndpointName("uploadSnapshot")]
    [EndpointSummary("Store a snapshot")]
    [EndpointDescription("A compacted document that includes every change up to Sync-Covers. Pulls from before it get it " +
        "instead of the changes it covers when those are pruned or add up to more bytes; the covered changes are kept for " +
        "Sync:CoveredChangeRetention after the snapshot is stored, then pruned.")]
    [Tags("Snapshots")]
    [ApiBinaryBody("application/octet-stream", "The snapshot: opaque bytes (a Loro snapshot for Loro apps), at most Sync:MaxSnapshotBytes (16 MiB).")]
    [ApiParameter(SyncHeaders.Covers, ParameterLocation.Header, typeof(long),
        "The seq of the last change the snapshot includes (positive, at most the workspace's head).", Required = true)]
    [ProducesResponseType<StoredSnapshot>(StatusCodes.Status201Created, Description = "Stored (or stored before): the seq it covers.")]
    [ProblemResponse(StatusCodes.Status400BadRequest, ProblemCodes.InvalidRequest)]
    [ProblemResponse(StatusCodes.Status413PayloadTooLarge, ProblemCodes.PayloadTooLarge)]
    [ProblemResponse(StatusCodes.Status422UnprocessableEntity, ProblemCodes.InvalidDocument,
        Description = "Starts like a Loro export but its header, checksum or encode mode is wrong, or it is a Loro update, not a snapshot.")]
    private static async Task<IResult> Handle(
        Guid workspaceId, HttpRequest request, ClaimsPrincipal user, NpgsqlDataSource db, IOptions<SyncOptions> options,
        SyncProblems problems, SyncMetrics metrics, CancellationToken ct)
    {
        if (!long.TryParse(request.Headers[SyncHeaders.Covers], out var covers) || covers < 1)
        {
            return problems.Invalid($"The {SyncHeaders.Covers} header must be the positive seq of the last change the snapshot includes.");
        }

        var max = options.Value.MaxSnapshotBytes;
        var data = await RequestBody.ReadBoundedAsync(request, max, ct);
        if (data is null)
        {
            return problems.TooLarge(max);
        }

        if (data.Length == 0)
        {
            return problems.Invalid("A snapshot cannot be empty.");
        }

        if (problems.InvalidLoro(data, LoroEnvelope.Mode.FastSnapshot) is { } invalid)
        {
            return invalid;
        }

        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var (head, _) = await PushChange.LockLogAsync(connection, tx, workspaceId, ct);
        if (covers > head)
        {
            return problems.Invalid($"The workspace's head is {head}; a snapshot cannot cover seq {covers}.");
        }

        await using (var insert = new NpgsqlCommand(
            $"insert into {SyncSchema.Snapshots} (workspace_id, covers, data, client_id) values ($1, $2, $3, $4) on conflict do nothing",
            connection, tx))
        {
            insert.Parameters.AddWithValue(workspaceId);
            insert.Parameters.AddWithValue(covers);
            insert.Parameters.AddWithValue(data);
            insert.Parameters.AddWithValue(TokenHolder.From(user)!.ClientId);
            await insert.ExecuteNonQueryAsync(ct);
        }

        await tx.CommitAsync(ct);
        metrics.SnapshotStored(data.Length);
        return Results.Created($"/api/workspaces/{workspaceId}/changes", new StoredSnapshot(covers));
    }
}

public sealed record StoredSnapshot(long Covers);
