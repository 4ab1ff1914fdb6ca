using Xunit;
using Xunit.Sdk;
using Xunit.v3;

[assembly: TestCollectionOrderer(typeof(SyncEngine.EndToEnd.Tests.LongestCollectionFirst))]

namespace SyncEngine.EndToEnd.Tests;

/// <summary>
/// The PostgreSQL app's collection is started first: its tests take the longest, one after another, and the apps start
/// one at a time (SyncEngineApp), so the app that starts second should be the one whose collection has time to spare.
/// Started first, it usually takes the start lock first too (both collections then race for it); only timing depends on it.
/// </summary>
public sealed class LongestCollectionFirst : ITestCollectionOrderer
{
    public IReadOnlyCollection<TTestCollection> OrderTestCollections<TTestCollection>(IReadOnlyCollection<TTestCollection> testCollections)
        where TTestCollection : ITestCollection =>
        [.. testCollections.OrderBy(c => c.TestCollectionDisplayName == SyncEngineCollection.Name ? 0 : 1)
            .ThenBy(c => c.TestCollectionDisplayName, StringComparer.Ordinal)];
}
