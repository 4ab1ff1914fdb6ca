using Npgsql;
using SyncEngine.Backend.Apps;

namespace Services.Sync.Changes;

/// <summary>
/// Moves any workspace whose stored schema version is above the newest its app released back to that version, at
/// start-up. Before the bound existed a writer could push <c>int.MaxValue</c>, and such a workspace would refuse every
/// real client's push (outdated-version) and tell every pull it is outdated, bound or not. Each app's bound is its
/// <c>maxSchemaVersion</c> (the log's <c>app_id</c>; null is the default app's), and Sync:MaxSchemaVersion for a
/// workspace of no known app. Idempotent, so every replica may run it; it runs after the app directory has loaded
/// (registered after it in Program.cs).
/// </summary>
public sealed class ClampUnreleasedVersions(
    NpgsqlDataSource db, AppDirectory apps, Microsoft.Extensions.Options.IOptions<SyncOptions> options, ILogger<ClampUnreleasedVersions> logger)
    : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var known = apps.All.ToList();
        var defaultApp = apps.Find(null);
        await using var batch = db.CreateBatch();
        foreach (var app in known)
        {
            var clamp = new NpgsqlBatchCommand(
                $"update {SyncSchema.Logs} set schema_version = $1 where schema_version > $1 and (app_id = $2 or ($3 and app_id is null))");
            clamp.Parameters.AddWithValue(app.Settings.MaxSchemaVersion);
            clamp.Parameters.AddWithValue(app.Id);
            clamp.Parameters.AddWithValue(app.Id == defaultApp?.Id);
            batch.BatchCommands.Add(clamp);
        }

        var unknown = new NpgsqlBatchCommand(
            $"update {SyncSchema.Logs} set schema_version = $1 where schema_version > $1 " +
            "and (app_id is null and not $2 or app_id is not null and not (app_id = any($3)))");
        unknown.Parameters.AddWithValue(options.Value.MaxSchemaVersion);
        unknown.Parameters.AddWithValue(defaultApp is not null);
        unknown.Parameters.AddWithValue(known.Select(a => a.Id).ToArray());
        batch.BatchCommands.Add(unknown);
        await batch.ExecuteNonQueryAsync(cancellationToken);
        var clamped = batch.BatchCommands.Cast<NpgsqlBatchCommand>().Sum(c => (long)c.RecordsAffected);
        if (clamped > 0)
        {
            logger.LogWarning("Moved {Count} workspaces from an unreleased schema version back to their app's newest", clamped);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
