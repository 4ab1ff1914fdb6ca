using Microsoft.Extensions.Options;
using Services.Sync.Changes;

namespace Services.Sync.Live;

/// <summary>
/// Two limits on the live streams of one replica. Per token, Sync:MaxLiveStreamsPerToken: a newer stream closes the
/// token's oldest, because the newest is the one the client is using: after a network change a device's old stream can
/// stay half-open until a heartbeat write fails, and a refusal would lock it out until then. Per client of an app, its
/// <c>maxLiveStreamsPerClient</c> (a device's streams across its workspaces of the app): beyond it a new stream is
/// refused with quota-exceeded, unless the new stream's token holds streams: then its oldest is closed instead, so
/// reopening a workspace never meets the limit. Counted per replica: a stream's cost (a socket, a subscription, a heartbeat) is a replica's, and a shared
/// count would need a database round trip on every open and close; a client can so hold at most this many per replica.
/// </summary>
public sealed class LiveStreamLimit(IOptionsMonitor<SyncOptions> options)
{
    private readonly Dictionary<Guid, LinkedList<HeadNotifications.Subscription>> _byToken = [];
    private readonly Dictionary<(Guid Client, string? App), int> _byClient = [];
    private readonly Lock _lock = new();

    /// <summary>
    /// Counts <paramref name="subscription"/> and closes its token's oldest streams beyond the per-token limit; or, when
    /// its client would then hold more than <paramref name="perClient"/> streams of its app, refuses it (null) and says
    /// how many the client holds in <paramref name="used"/>.
    /// </summary>
    public IDisposable? TryAdmit(HeadNotifications.Subscription subscription, int? perClient, out int used)
    {
        List<HeadNotifications.Subscription> closing;
        var client = Key(subscription);
        lock (_lock)
        {
            closing = _byToken.TryGetValue(subscription.TokenId, out var streams)
                ? streams.Take(Oldest(streams.Count + 1, Math.Max(1, options.CurrentValue.MaxLiveStreamsPerToken))).ToList()
                : [];
            used = _byClient.GetValueOrDefault(client);
            // At the client's limit, a token that holds streams replaces its oldest: a reopened workspace is never refused.
            while (!ClientAllows(used, closing.Count(s => Key(s) == client), perClient) && streams?.Count > closing.Count)
            {
                closing.Add(streams.ElementAt(closing.Count));
            }

            if (!ClientAllows(used, closing.Count(s => Key(s) == client), perClient))
            {
                return null;
            }

            if (streams is null)
            {
                _byToken[subscription.TokenId] = streams = new LinkedList<HeadNotifications.Subscription>();
            }

            foreach (var old in closing)
            {
                streams.Remove(old);
                Uncount(Key(old));
            }

            streams.AddLast(subscription);
            _byClient[client] = _byClient.GetValueOrDefault(client) + 1;
        }

        foreach (var old in closing)
        {
            old.Supersede();
        }

        return new Release(this, subscription);
    }

    /// <summary>How many of a token's <paramref name="open"/> streams, oldest first, must close to stay within <paramref name="limit"/>.</summary>
    public static int Oldest(int open, int limit) => Math.Max(0, open - limit);

    /// <summary>Whether a client holding <paramref name="open"/> streams may open one more once <paramref name="superseding"/> of them close.</summary>
    public static bool ClientAllows(int open, int superseding, int? limit) => limit is not { } max || open - superseding + 1 <= max;

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
            if (!_byToken.TryGetValue(subscription.TokenId, out var streams) || !streams.Remove(subscription))
            {
                return; // Superseded: no longer counted.
            }

            if (streams.Count == 0)
            {
                _byToken.Remove(subscription.TokenId);
            }

            Uncount(Key(subscription));
        }
    }

    private static (Guid Client, string? App) Key(HeadNotifications.Subscription subscription) => (subscription.ClientId, subscription.AppId);

    private void Uncount((Guid Client, string? App) client)
    {
        if (_byClient.TryGetValue(client, out var open) && open > 1)
        {
            _byClient[client] = open - 1;
        }
        else
        {
            _byClient.Remove(client);
        }
    }

    private sealed class Release(LiveStreamLimit limit, HeadNotifications.Subscription subscription) : IDisposable
    {
        public void Dispose() => limit.Remove(subscription);
    }
}
