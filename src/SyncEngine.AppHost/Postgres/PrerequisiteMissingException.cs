namespace SyncEngine.AppHost.Postgres;

/// <summary>Something the AppHost needs is not on this machine; the message says what to install.</summary>
public sealed class PrerequisiteMissingException(string message, Exception? inner = null) : Exception(message, inner);
