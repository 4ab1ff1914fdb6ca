using Xunit;
using SyncEngine.Contracts.Workspaces;
using SyncEngine.Testing;
using SyncEngine.Tokens;

[assembly: AssemblyFixture(typeof(Services.Sync.Tests.Integration.SyncService))]

namespace Services.Sync.Tests.Integration;

/// <summary>Sync alone, in process, on its own PostgreSQL: once for this test assembly.</summary>
public sealed class SyncService() : ServiceHost<Program>("sync", new Dictionary<string, string?>
{
    ["Sync:MaxSchemaVersion"] = MaxSchemaVersion.ToString(System.Globalization.CultureInfo.InvariantCulture),
    ["Sync:MaxWorkspaceBytes"] = MaxWorkspaceBytes.ToString(System.Globalization.CultureInfo.InvariantCulture),
    ["Sync:MaxChangeBytes"] = MaxChangeBytes.ToString(System.Globalization.CultureInfo.InvariantCulture),
    ["Sync:MaxLiveStreamsPerToken"] = MaxLiveStreamsPerToken.ToString(System.Globalization.CultureInfo.InvariantCulture),
    ["Sync:HeartbeatEvery"] = "00:00:01",
})
{
    /// <summary>Sync:MaxSchemaVersion here: the newest any test pushes.</summary>
    public const int MaxSchemaVersion = 3;

    /// <summary>Sync:MaxWorkspaceBytes here, small enough that a test fills a workspace in a few pushes.</summary>
    public const long MaxWorkspaceBytes = 256 * 1024;

    /// <summary>Sync:MaxChangeBytes here, not the 4 MiB default, so a test proves the limit is read from configuration.</summary>
    public const int MaxChangeBytes = 100 * 1024;

    public const int MaxLiveStreamsPerToken = 2;

    /// <summary>A workspace Workspace has announced (WorkspaceClaimed, handled here) and its owner's master token.</summary>
    public async Task<(Guid WorkspaceId, Guid Owner, string Master)> NewWorkspaceAsync()
    {
        var (workspaceId, owner) = (Guid.NewGuid(), Guid.NewGuid());
        await InvokeAsync(new WorkspaceClaimed(workspaceId, owner, DateTimeOffset.UtcNow));
        return (workspaceId, owner, Signer.Issue(workspaceId, owner, Scopes.ReadWrite, master: true));
    }
}
