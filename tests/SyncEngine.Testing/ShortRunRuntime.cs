namespace SyncEngine.Testing;

/// <summary>
/// Runtime settings for the services a test starts as processes of their own, which live a few minutes on a busy
/// machine. Every method keeps the code it first got (the framework's precompiled code, everything else JIT-compiled
/// once, quickly) instead of being compiled again, optimized, once it has been called 30 times: that recompilation pays
/// off only in a long run. And a thread-pool worker out of work sleeps at once instead of spinning for more. Neither
/// changes what a test checks. The end-to-end module alone, two runs each, with these for every process of the run:
/// 248 and 284 busy CPU-s before, 176 and 213 after. Not for a deployment, nor for the benchmarks.
/// </summary>
public static class ShortRunRuntime
{
    public static readonly IReadOnlyDictionary<string, string> Environment = new Dictionary<string, string>
    {
        ["DOTNET_TC_CallCounting"] = "0",
        ["DOTNET_ThreadPool_UnfairSemaphoreSpinLimit"] = "0",
    };
}
