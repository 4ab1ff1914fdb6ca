using System.Text.Json;
using Npgsql;
using Services.Sync.Changes;
using SyncEngine.ServiceDefaults.Problems;

namespace Services.Sync.Workspaces;

/// <summary>What Sync holds of a workspace, for the operators' workspace views that Workspace answers.</summary>
public sealed record WorkspaceStats(
    Guid WorkspaceId, long Head, int SchemaVersion, long StoredBytes, DateTimeOffset? LastChangeAt, IReadOnlyList<SnapshotStats> Snapshots);

/// <summary>A stored snapshot: the seq it covers, its size, when it was stored.</summary>
public sealed record SnapshotStats(long Covers, long Bytes, DateTimeOffset CreatedAt);

/// <summary>
/// <c>POST /internal/workspaces/stats</c> with a JSON list of workspace ids (at most <see cref="MaxIds"/>): each one's
/// log as Sync holds it (head, schema version, stored bytes, when the newest change or snapshot was stored, the stored
/// snapshots). Ids with no log are left out. On the service's own port, never routed by the gateway, like
/// <c>/internal/apps</c>: Workspace asks it for a page of <c>GET /admin/apps/{appId}/workspaces</c> at once. It shows
/// sizes and times, never a document's bytes.
/// </summary>
public static class WorkspaceStatsEndpoint
{
    public const string Path = "/internal/workspaces/stats";
    public const int MaxIds = 500;

    public static void MapWorkspaceStats(this IEndpointRouteBuilder app) =>
        app.MapPost(Path, Handle).ExcludeFromDescription();

    private static async Task<IResult> Handle(Guid[] workspaceIds, NpgsqlDataSource db, CancellationToken ct)
    {
        if (workspaceIds.Length > MaxIds)
        {
            return Problem.Result(Problem.InvalidRequest($"At most {MaxIds} workspace ids at once."));
        }

        await using var query = db.CreateCommand(
            $"""
            select l.workspace_id, l.head, l.schema_version, coalesce(l.stored_bytes, 0),
                greatest(
                    (select c.created_at from {SyncSchema.Changes} c where c.workspace_id = l.workspace_id order by c.seq desc limit 1),
                    (select max(s.created_at) from {SyncSchema.Snapshots} s where s.workspace_id = l.workspace_id)),
                coalesce((select json_agg(json_build_object('covers', s.covers, 'bytes', octet_length(s.data), 'createdAt', s.created_at) order by s.covers)
                    from {SyncSchema.Snapshots} s where s.workspace_id = l.workspace_id), '[]'::json)::text
            from {SyncSchema.Logs} l where l.workspace_id = any($1)
            """);
        query.Parameters.AddWithValue(workspaceIds);
        await using var reader = await query.ExecuteReaderAsync(ct);
        var stats = new List<WorkspaceStats>();
        while (await reader.ReadAsync(ct))
        {
            stats.Add(new WorkspaceStats(
                reader.GetGuid(0), reader.GetInt64(1), reader.GetInt32(2), reader.GetInt64(3),
                reader.IsDBNull(4) ? null : reader.GetFieldValue<DateTimeOffset>(4),
                JsonSerializer.Deserialize<List<SnapshotStats>>(reader.GetString(5), JsonSerializerOptions.Web)!));
        }

        return Results.Ok(stats);
    }
}
