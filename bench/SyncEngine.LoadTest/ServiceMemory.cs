namespace SyncEngine.LoadTest;

/// <summary>One service process's memory at the end of the run, in bytes.</summary>
public sealed record ServiceMemory(string Resource, long RssBytes, long PssBytes);
