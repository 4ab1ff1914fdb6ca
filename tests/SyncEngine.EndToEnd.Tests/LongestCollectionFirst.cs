using Xunit;
using Xunit.Sdk;
using Xunit.v3;

[assembly: TestCollectionOrderer(typeof(SyncEngine.EndToEnd.Tests.LongestCollectionFirst))]

namespace SyncEngine.EndToEnd.Tests;

/// <summary>
/// The PostgreSQL app's collection runs first, and its app starts first (AppStartOrder): its tests take the longest,
/// one after another, and the apps start one at a time, so the app that waits should be the one whose collection has
/// time to spare. The orderer is told which collections this run has, so it is where the start order learns whether
/// the PostgreSQL app will start at all (a filtered run may hold only the other collection).
/// </summary>
public sealed class LongestCollectionFirst : ITestCollectionOrderer
{
    public IReadOnlyCollection<TTestCollection> OrderTestCollections<TTestCollection>(IReadOnlyCollection<TTestCollection> testCollections)
        where TTestCollection : ITestCollection
    {
        AppStartOrder.FirstAppRuns = testCollections.Any(c => c.TestCollectionDisplayName == SyncEngineCollection.Name);
        return [.. testCollections.OrderBy(c => c.TestCollectionDisplayName == SyncEngineCollection.Name ? 0 : 1)
            .ThenBy(c => c.TestCollectionDisplayName, StringComparer.Ordinal)];
    }
}

/// <summary>One app starts at a time; the first app (the PostgreSQL one), when this run has it, before any other.</summary>
internal static class AppStartOrder
{
    private static readonly SemaphoreSlim OneAtATime = new(1, 1);
    private static readonly TaskCompletionSource FirstAppTried = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Whether the first app's collection is in this run (set by the orderer before any collection runs).</summary>
    public static volatile bool FirstAppRuns;

    public static async Task StartAsync(bool first, Func<Task> start, CancellationToken ct)
    {
        if (!first && FirstAppRuns)
        {
            try
            {
                // Its start, success or failure, ends the wait. Bounded only so that a first app that never begins (its
                // collection failed before its fixture) cannot hold this one forever.
                await FirstAppTried.Task.WaitAsync(TimeSpan.FromMinutes(5), ct);
            }
            catch (TimeoutException)
            {
            }
        }

        await OneAtATime.WaitAsync(ct);
        try
        {
            await start();
        }
        finally
        {
            OneAtATime.Release();
            if (first)
            {
                FirstAppTried.TrySetResult();
            }
        }
    }
}
