namespace SyncEngine.LoadTest;

/// <summary>
/// One service process's memory at the end of the run, in bytes: RSS and PSS, and RSS by kind as /proc/&lt;pid&gt;/status
/// splits it: anonymous (the GC heap and native allocations), file pages (assemblies and native libraries, the same
/// pages in every .NET process) and shared memory (under W^X, the runtime's executable memory: JIT-compiled code,
/// stubs and loader heaps, double-mapped through a memfd).
/// </summary>
public sealed record ServiceMemory(string Resource, long RssBytes, long PssBytes, long AnonBytes, long FileBytes, long ShmemBytes);
