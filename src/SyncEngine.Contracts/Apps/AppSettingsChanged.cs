namespace SyncEngine.Contracts.Apps;

/// <summary>
/// An app was registered, changed, suspended or resumed. Published by Workspace (which owns apps) to Auth and Sync,
/// which keep the newest version they have heard of: the settings are whole every time, so a redelivered or overtaken
/// message changes nothing.
/// </summary>
/// <param name="Settings">The app's settings after the change.</param>
/// <param name="Version">The app's version after the change (its stream's version): higher is newer.</param>
/// <param name="At">When Workspace committed the change.</param>
public sealed record AppSettingsChanged(AppSettings Settings, long Version, DateTimeOffset At);
