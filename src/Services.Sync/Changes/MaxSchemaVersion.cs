using Microsoft.Extensions.Options;

namespace Services.Sync.Changes;

/// <summary>
/// The newest schema version a push may carry. Without a bound, one writer pushing <c>int.MaxValue</c> moved the
/// workspace there and every real client was refused (outdated-version) forever. The bound is the one place to ask, so
/// the app's own <c>maxSchemaVersion</c> (docs/design.md, "Apps") can replace the deployment's setting here alone.
/// </summary>
public sealed class MaxSchemaVersion(IOptionsMonitor<SyncOptions> options)
{
    /// <summary>The bound for <paramref name="workspaceId"/>'s pushes: for now the deployment's Sync:MaxSchemaVersion.</summary>
    public int For(Guid workspaceId) => options.CurrentValue.MaxSchemaVersion;

    public static bool Allows(int version, int max) => version <= max;
}
