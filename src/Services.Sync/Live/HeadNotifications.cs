using System.Collections.Concurrent;
using System.Threading.Channels;
using Npgsql;
using SyncEngine.Backend.Apps;
using SyncEngine.Backend.Security;
using SyncEngine.ServiceDefaults.Problems;

namespace Services.Sync.Live;

/// <summary>
/// Fans PostgreSQL notifications out to this replica's live streams. Heads are announced after their push committed
/// (HeadAnnouncer), so every replica's LISTEN sees commits made by any replica. Revocations arrive the same way and
/// close the revoked client's streams.
/// </summary>
public sealed class HeadNotifications(
    NpgsqlDataSource db, RevocationCache revocations, ErasedWorkspaces erased, ILogger<HeadNotifications> logger, AppDirectory? apps = null)
    : BackgroundService
{
    public const string HeadChannel = "syncengine_sync_head";
    public const string RevokedChannel = "syncengine_sync_revoked";
    /// <summary>Payload <c>{workspaceId:N}:erased</c>: every stream of the workspace ends with a <c>deleted</c> event.</summary>
    public const string ErasedChannel = "syncengine_sync_erased";

    private readonly ConcurrentDictionary<Guid, ConcurrentDictionary<Subscription, byte>> _subscribers = new();

    // Subscribing and unsubscribing are rare next to dispatching, so one lock keeps a set from being removed (when it
    // empties) while another stream is joining it; Dispatch reads without it.
    private readonly Lock _membership = new();

    /// <summary>Workspaces with at least one live stream on this replica: a set is removed when its last stream ends.</summary>
    public int WorkspacesWithSubscribers => _subscribers.Count;

    public sealed class Subscription(Guid workspaceId, Guid clientId, Guid tokenId, string? appId = null, DateTimeOffset? issuedAt = null) : IDisposable
    {
        /// <summary>The token's iat, for the audit's revocation check (<see cref="LiveAudit"/>); none: not audited for revocation.</summary>
        public DateTimeOffset? IssuedAt { get; } = issuedAt;

        /// <summary>The token's app claim: its streams end when that app is suspended.</summary>
        public string? AppId { get; } = appId;

        /// <summary>Set before the stream is ended because its app was suspended: it says <c>app-suspended</c>.</summary>
        public bool AppSuspended { get; private set; }

        internal void SuspendApp()
        {
            AppSuspended = true;
            _revoked.Cancel();
        }

        private readonly CancellationTokenSource _revoked = new();
        private readonly CancellationTokenSource _superseded = new();
        internal Action? OnDispose { get; set; }

        public Guid WorkspaceId { get; } = workspaceId;
        public Guid ClientId { get; } = clientId;
        public Guid TokenId { get; } = tokenId;

        /// <summary>Cancelled when the same token opened more streams than allowed and this is the oldest (LiveStreamLimit).</summary>
        public CancellationToken Superseded => _superseded.Token;

        // Seqs are gap-free and a seq commits only after the one before it (the log row lock), so the newest head
        // heard of is all a stream needs: it sends every seq between what it sent last and that head. Announcements
        // from different replicas can arrive out of order, hence a maximum rather than the last one heard.
        private long _newestHead = -1;
        private readonly Channel<bool> _heard = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });

        public long NewestHead => Interlocked.Read(ref _newestHead);

        /// <summary>Completes when a head was announced since the last <see cref="TakeAnnouncement"/>.</summary>
        public ValueTask<bool> WaitForAnnouncementAsync(CancellationToken ct) => _heard.Reader.WaitToReadAsync(ct);

        public void TakeAnnouncement() => _heard.Reader.TryRead(out _);

        public CancellationToken Revoked => _revoked.Token;

        internal void Heard(long seq)
        {
            var known = Interlocked.Read(ref _newestHead);
            while (seq > known && Interlocked.CompareExchange(ref _newestHead, seq, known) is var seen && seen != known)
            {
                known = seen;
            }

            _heard.Writer.TryWrite(true);
            OnHead?.Invoke(seq);
        }

        /// <summary>Called with each head announced (a socket's subscription queues a catch-up rather than waiting).</summary>
        public Action<long>? OnHead { get; set; }

        /// <summary>
        /// Called with each change of the workspace this replica commits, bytes and all, so a socket's subscription sends
        /// it without reading it back; changes committed by other replicas arrive only as heads (<see cref="OnHead"/>).
        /// </summary>
        public Action<long, byte[]>? OnCommitted { get; set; }

        internal void Revoke() => Cancel(_revoked);

        /// <summary>Ended (its stream or socket let go of it): the audit, working from a snapshot, leaves it alone.</summary>
        public bool IsDisposed { get; private set; }

        private static void Cancel(CancellationTokenSource source)
        {
            try
            {
                source.Cancel();
            }
            catch (ObjectDisposedException)
            {
                // Ended meanwhile.
            }
        }

        /// <summary>Set before the stream is ended because its workspace was erased: it says <c>deleted</c>, not <c>revoked</c>.</summary>
        public bool Erased { get; private set; }

        internal void Erase()
        {
            Erased = true;
            Cancel(_revoked);
        }

        internal void Supersede()
        {
            try
            {
                _superseded.Cancel();
            }
            catch (ObjectDisposedException)
            {
                // The stream ended on its own meanwhile.
            }
        }

        public void Dispose()
        {
            IsDisposed = true;
            OnDispose?.Invoke();
            _revoked.Dispose();
            _superseded.Dispose();
        }
    }

    public Subscription Subscribe(Guid workspaceId, Guid clientId, Guid tokenId, string? appId = null, DateTimeOffset? issuedAt = null)
    {
        var subscription = new Subscription(workspaceId, clientId, tokenId, appId, issuedAt);
        lock (_membership)
        {
            _subscribers.GetOrAdd(workspaceId, _ => new ConcurrentDictionary<Subscription, byte>())[subscription] = 0;
        }

        subscription.OnDispose = () =>
        {
            lock (_membership)
            {
                // Without this, every workspace ever followed kept an empty set: memory grew with workspaces, not streams.
                if (_subscribers.TryGetValue(workspaceId, out var set) && set.TryRemove(subscription, out _) && set.IsEmpty)
                {
                    _subscribers.TryRemove(workspaceId, out _);
                }
            }
        };
        return subscription;
    }

    /// <summary>
    /// A change this replica committed, offered with its bytes to the workspace's other subscriptions here (never back
    /// to <paramref name="origin"/>, whose client has them); every replica still hears its head through the announcer.
    /// </summary>
    public void Committed(Guid workspaceId, long seq, byte[] data, Subscription? origin = null)
    {
        if (!_subscribers.TryGetValue(workspaceId, out var set))
        {
            return;
        }

        foreach (var subscription in set.Keys)
        {
            if (subscription != origin)
            {
                subscription.OnCommitted?.Invoke(seq, data);
            }
        }
    }

    public static string Payload(Guid workspaceId, long seq) => $"{workspaceId:N}:{seq}";

    /// <summary>A head with its change's bytes, from <paramref name="replica"/>: <c>{workspace}:{seq}:{replica}:{base64}</c>.</summary>
    public static string Payload(Guid workspaceId, long seq, Guid replica, byte[] data) =>
        $"{workspaceId:N}:{seq}:{replica:N}:{Convert.ToBase64String(data)}";

    /// <summary>This replica, in the heads it announces with bytes: it offered those bytes to its own subscriptions already.</summary>
    public Guid ReplicaId { get; } = Guid.NewGuid();

    /// <summary>A revocation of one token (the owner ending its other master tokens), not of the whole pair.</summary>
    public static string TokenRevokedPayload(Guid workspaceId, Guid clientId, Guid tokenId) => $"{workspaceId:N}:{clientId:N}:{tokenId:N}";

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        if (apps is not null)
        {
            // A suspension reaches the directory within 1 s (NOTIFY); the app's streams end as it does.
            apps.Changed += EndSuspendedAppsStreams;
        }

        return base.StartAsync(cancellationToken);
    }

    /// <summary>Every subscription on this replica now, by workspace: what <see cref="LiveAudit"/> checks.</summary>
    public IReadOnlyDictionary<Guid, Subscription[]> Snapshot() =>
        _subscribers.ToDictionary(pair => pair.Key, pair => pair.Value.Keys.ToArray());

    /// <summary>This replica's open live streams by app (a token without an app claim: the default app's).</summary>
    public IEnumerable<(string AppId, int Streams)> StreamsByApp() =>
        _subscribers.Values.SelectMany(set => set.Keys)
            .Select(s => s.AppId ?? (apps?.DefaultAppId is { Length: > 0 } fallback ? fallback : null))
            .OfType<string>()
            .GroupBy(app => app, StringComparer.Ordinal)
            .Select(g => (g.Key, g.Count()));

    private void EndSuspendedAppsStreams()
    {
        foreach (var subscription in _subscribers.Values.SelectMany(set => set.Keys))
        {
            if (apps!.Find(subscription.AppId) is { Settings.Suspended: true })
            {
                subscription.SuspendApp();
            }
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var connection = await db.OpenConnectionAsync(stoppingToken);
                connection.Notification += (_, e) => Dispatch(e.Channel, e.Payload);
                await using (var listen = new NpgsqlCommand($"listen {HeadChannel}; listen {RevokedChannel}; listen {ErasedChannel}", connection))
                {
                    await listen.ExecuteNonQueryAsync(stoppingToken);
                }

                while (!stoppingToken.IsCancellationRequested)
                {
                    await connection.WaitAsync(stoppingToken);
                }
            }
            // Any exception, not only an outage's: one escaping a background loop would stop the whole service.
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                // Live streams miss nothing that matters: each (re)connecting client pulls, and the next push notifies.
                logger.LogWarning(e, "Lost the LISTEN connection; reconnecting");
                using var pause = new PeriodicTimer(TimeSpan.FromSeconds(1));
                await pause.WaitForNextTickAsync(stoppingToken);
            }
        }
    }

    private static byte[]? Decode(string base64)
    {
        var data = new byte[base64.Length * 3 / 4];
        return Convert.TryFromBase64String(base64, data, out var written) ? data[..written] : null;
    }

    private void Dispatch(string channel, string payload)
    {
        var parts = payload.Split(':');
        if (parts.Length < 2 || !Guid.TryParse(parts[0], out var workspaceId))
        {
            return;
        }

        if (channel == RevokedChannel && Guid.TryParse(parts[1], out var revokedClient))
        {
            // Every replica hears this once the revocation committed: its next request is checked against the store.
            revocations.Forget(workspaceId, revokedClient);
        }

        if (channel == ErasedChannel)
        {
            // Every replica hears this once the erasure committed: it answers 410 for the id from its next request.
            erased.Remember(workspaceId);
        }

        if (!_subscribers.TryGetValue(workspaceId, out var set))
        {
            return;
        }

        var data = channel == HeadChannel && parts.Length == 4 && Guid.TryParse(parts[2], out var replica) && replica != ReplicaId
            ? Decode(parts[3])
            : null;
        foreach (var subscription in set.Keys)
        {
            if (channel == ErasedChannel)
            {
                subscription.Erase();
            }
            else if (channel == HeadChannel && long.TryParse(parts[1], out var seq))
            {
                // Bytes from another replica go to the sockets first, so the head that follows finds them on their way.
                if (data is not null)
                {
                    subscription.OnCommitted?.Invoke(seq, data);
                }

                subscription.Heard(seq);
            }
            else if (channel == RevokedChannel && Guid.TryParse(parts[1], out var client) && client == subscription.ClientId
                && (parts.Length < 3 || (Guid.TryParse(parts[2], out var token) && token == subscription.TokenId)))
            {
                subscription.Revoke();
            }
        }
    }
}
