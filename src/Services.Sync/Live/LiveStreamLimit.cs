using Microsoft.Extensions.Options;
using Services.Sync.Changes;

namespace Services.Sync.Live;

/// <summary>
/// At most Sync:MaxLiveStreamsPerToken live streams per token on this replica: a newer stream closes the token's oldest.
/// Closing the oldest rather than refusing the newest because the newest is the one the client is using: after a network
/// change a device's old stream can stay half-open until a heartbeat write fails, and a refusal would lock it out until
/// then. Counted per replica: a stream's cost (a socket, a subscription, a heartbeat) is a replica's, and a shared count
/// would need a database round trip on every open and close; a token can so hold at most this many per replica.
/// </summary>
public sealed class LiveStreamLimit(IOptionsMonitor<SyncOptions> options)
{
    private readonly Dictionary<Guid, LinkedList<HeadNotifications.Subscription>> _byToken = [];
    private readonly Lock _lock = new();

    /// <summary>Counts <paramref name="subscription"/> and closes its token's oldest streams beyond the limit.</summary>
    public IDisposable Admit(HeadNotifications.Subscription subscription)
    {
        List<HeadNotifications.Subscription> closing;
        lock (_lock)
        {
            if (!_byToken.TryGetValue(subscription.TokenId, out var streams))
            {
                _byToken[subscription.TokenId] = streams = new LinkedList<HeadNotifications.Subscription>();
            }

            streams.AddLast(subscription);
            closing = Oldest(streams.Count, Math.Max(1, options.CurrentValue.MaxLiveStreamsPerToken)) is var excess and > 0
                ? streams.Take(excess).ToList()
                : [];
            foreach (var old in closing)
            {
                streams.Remove(old);
            }
        }

        foreach (var old in closing)
        {
            old.Supersede();
        }

        return new Release(this, subscription);
    }

    /// <summary>How many of a token's <paramref name="open"/> streams, oldest first, must close to stay within <paramref name="limit"/>.</summary>
    public static int Oldest(int open, int limit) => Math.Max(0, open - limit);

    /// <summary>Streams counted for <paramref name="tokenId"/> now.</summary>
    public int OpenFor(Guid tokenId)
    {
        lock (_lock)
        {
            return _byToken.TryGetValue(tokenId, out var streams) ? streams.Count : 0;
        }
    }

    private void Remove(HeadNotifications.Subscription subscription)
    {
        lock (_lock)
        {
            if (_byToken.TryGetValue(subscription.TokenId, out var streams) && streams.Remove(subscription) && streams.Count == 0)
            {
                _byToken.Remove(subscription.TokenId);
            }
        }
    }

    private sealed class Release(LiveStreamLimit limit, HeadNotifications.Subscription subscription) : IDisposable
    {
        public void Dispose() => limit.Remove(subscription);
    }
}
