using Microsoft.Extensions.Options;
using Npgsql;

namespace Services.Sync.Changes;

/// <summary>
/// Moves any workspace whose stored schema version is above the newest released one (Sync:MaxSchemaVersion) back to
/// it, at start-up. Before the bound existed a writer could push <c>int.MaxValue</c>, and such a workspace would refuse
/// every real client's push (outdated-version) and tell every pull it is outdated, bound or not. Idempotent, so every
/// replica may run it; a version the deployment never released cannot have been written by a real client.
/// </summary>
public sealed class ClampUnreleasedVersions(NpgsqlDataSource db, IOptions<SyncOptions> options, ILogger<ClampUnreleasedVersions> logger)
    : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await using var clamp = db.CreateCommand($"update {SyncSchema.Logs} set schema_version = $1 where schema_version > $1");
        clamp.Parameters.AddWithValue(options.Value.MaxSchemaVersion);
        if (await clamp.ExecuteNonQueryAsync(cancellationToken) is var clamped and > 0)
        {
            logger.LogWarning("Moved {Count} workspaces from an unreleased schema version back to {MaxSchemaVersion}",
                clamped, options.Value.MaxSchemaVersion);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
