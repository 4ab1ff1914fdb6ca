namespace SyncEngine.Contracts.Apps;

/// <summary>
/// An app's quotas, part of <see cref="AppSettings"/> (published by Workspace, consumed by Auth and Sync). Each is a
/// positive number, or null for the deployment's default (unlimited where the deployment sets none).
/// </summary>
/// <param name="MaxWorkspaces">Workspaces the app may have.</param>
/// <param name="MaxWorkspaceBytes">Stored bytes per workspace.</param>
/// <param name="MaxAppBytes">Stored bytes over all the app's workspaces.</param>
/// <param name="MaxChangeBytes">Bytes of one change.</param>
/// <param name="MaxLiveStreamsPerClient">Live event streams one client may hold open.</param>
/// <param name="ClaimsPerMinutePerAddress">Claims per minute from one address.</param>
public sealed record AppQuotas(
    long? MaxWorkspaces = null,
    long? MaxWorkspaceBytes = null,
    long? MaxAppBytes = null,
    long? MaxChangeBytes = null,
    int? MaxLiveStreamsPerClient = null,
    int? ClaimsPerMinutePerAddress = null);
