using Wolverine.Tracking;

namespace SyncEngine.Testing;

public static class TrackedMessages
{
    /// <summary>
    /// The messages of type <typeparamref name="T"/> the session saw sent that <paramref name="ours"/> picks out (a
    /// session also records what other tests running meanwhile send), each with the queue it went to.
    /// </summary>
    public static List<(string Queue, T Message)> SentOf<T>(this ITrackedSession session, Func<T, bool> ours) =>
        session.Sent.Envelopes()
            .Where(e => e.Message is T message && ours(message))
            .Select(e => (e.Destination?.Host ?? "", (T)e.Message!))
            .OrderBy(sent => sent.Item1, StringComparer.Ordinal)
            .ToList();
}
