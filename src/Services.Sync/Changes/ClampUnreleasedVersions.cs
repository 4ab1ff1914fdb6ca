using Npgsql;

namespace Services.Sync.Changes;

/// <summary>
/// Moves any workspace whose stored schema version is above every released one back to the highest, at start-up.
/// Before the bound existed a writer could push <c>int.MaxValue</c>, and such a workspace would refuse every real
/// client's push (outdated-version) and tell every pull it is outdated, bound or not. Idempotent, so every replica may
/// run it. With apps, "released" is the highest of every known app's <c>maxSchemaVersion</c> and Sync:MaxSchemaVersion
/// (MaxSchemaVersion.Highest): the log does not record a workspace's app, so a workspace is clamped only above what no
/// app released; pushes are held to their own app's version from the first (PushChange), so nothing new gets there.
/// Runs after the app directory has loaded (registered after it in Program.cs).
/// </summary>
public sealed class ClampUnreleasedVersions(NpgsqlDataSource db, MaxSchemaVersion versions, ILogger<ClampUnreleasedVersions> logger)
    : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var highest = versions.Highest();
        await using var clamp = db.CreateCommand($"update {SyncSchema.Logs} set schema_version = $1 where schema_version > $1");
        clamp.Parameters.AddWithValue(highest);
        if (await clamp.ExecuteNonQueryAsync(cancellationToken) is var clamped and > 0)
        {
            logger.LogWarning("Moved {Count} workspaces from an unreleased schema version back to {MaxSchemaVersion}", clamped, highest);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
