using System.Globalization;
using System.Security.Claims;
using Services.Sync.Live;
using SyncEngine.Tokens;

namespace Services.Sync.Realtime;

/// <summary>
/// A workspace one socket follows, under the token it subscribed with. <see cref="LastSent"/> and <see cref="Started"/>
/// belong to the socket's send loop alone; the flags are set from any thread (announcements, the heartbeat, the
/// receive loop) and are atomic.
/// </summary>
public sealed class Subscription(
    Guid workspaceId, long reference, ClaimsPrincipal user, TokenHolder holder, string? app,
    HeadNotifications.Subscription live, IDisposable admission, long after)
{
    private readonly List<CancellationTokenRegistration> _watching = [];
    private CancellationTokenSource? _expiry;
    private long _known = after;
    private int _catchUpQueued;
    private int _pushing;
    private int _ended;
    private int _released;

    public Guid WorkspaceId { get; } = workspaceId;

    /// <summary>The subscribe's ref, for its <c>subscribed</c> answer.</summary>
    public long Ref { get; } = reference;

    public ClaimsPrincipal User { get; } = user;
    public TokenHolder Holder { get; } = holder;

    /// <summary>The app its usage and metrics count for (the token's, or the deployment's default).</summary>
    public string? App { get; } = app;

    public HeadNotifications.Subscription Live { get; } = live;

    public DateTimeOffset IssuedAt { get; } =
        DateTimeOffset.FromUnixTimeSeconds(long.Parse(user.FindFirstValue(TokenClaims.IssuedAt)!, CultureInfo.InvariantCulture));

    public DateTimeOffset? Expires { get; set; }

    /// <summary>Every seq up to this one has been sent on the socket (or acknowledged to the device that pushed it).</summary>
    public long LastSent { get; set; } = after;

    /// <summary>Whether its <c>subscribed</c> answer has been sent; nothing else of it is sent before.</summary>
    public bool Started { get; set; }

    public bool IsEnded => Volatile.Read(ref _ended) == 1;

    /// <summary>The newest seq known to be committed.</summary>
    public long Known => Interlocked.Read(ref _known);

    /// <summary>Notes a seq known to be committed: <see cref="Known"/> becomes the newest heard.</summary>
    public void Heard(long seq)
    {
        var known = Interlocked.Read(ref _known);
        while (seq > known && Interlocked.CompareExchange(ref _known, seq, known) is var seen && seen != known)
        {
            known = seen;
        }
    }

    /// <summary>
    /// Whether a push of this socket to the workspace is being committed or its answer waits to be sent. Meanwhile
    /// nothing is sent to the subscription (<see cref="CatchUpDeferred"/>): a catch-up in that window would send the
    /// device its own change back before its ack.
    /// </summary>
    public bool IsPushing => Volatile.Read(ref _pushing) > 0;

    /// <summary>A catch-up was due while a push was under way: the push's answer runs it.</summary>
    public bool CatchUpDeferred { get; set; }

    /// <summary>How many pushes of this socket to the workspace are under way (<see cref="IsPushing"/>).</summary>
    public int PushesUnderWay => Volatile.Read(ref _pushing);

    /// <summary>
    /// Changes of other devices that came with their bytes while a push was under way, held (by the send loop alone)
    /// for the push's answer, which sends them in order instead of reading them back from the store.
    /// </summary>
    public List<(long Seq, byte[] Data)>? HeldBack { get; set; }

    /// <summary>Called by the receive loop before a push is committed.</summary>
    public void PushStarted() => Interlocked.Increment(ref _pushing);

    /// <summary>Called by the send loop as the push's answer goes out.</summary>
    public void PushSettled() => Interlocked.Decrement(ref _pushing);

    /// <summary>At most one catch-up waits per subscription: announcements during a burst coalesce into it.</summary>
    public bool TryQueueCatchUp() => Interlocked.Exchange(ref _catchUpQueued, 1) == 0;

    /// <summary>Called as a catch-up starts, before it reads the head, so an announcement during it queues the next.</summary>
    public void CatchUpTaken() => Volatile.Write(ref _catchUpQueued, 0);

    public bool TryEnd() => Interlocked.Exchange(ref _ended, 1) == 0;

    public void Watch(CancellationTokenRegistration registration)
    {
        lock (_watching)
        {
            _watching.Add(registration);
        }
    }

    /// <summary>Runs <paramref name="end"/> when the token expires.</summary>
    public void EndAfter(TimeSpan left, Action end)
    {
        _expiry = new CancellationTokenSource();
        Watch(_expiry.Token.Register(end));
        _expiry.CancelAfter(left);
    }

    /// <summary>Stops following the workspace, once; true the first time.</summary>
    public bool TryRelease()
    {
        if (Interlocked.Exchange(ref _released, 1) == 1)
        {
            return false;
        }

        TryEnd();
        lock (_watching)
        {
            foreach (var registration in _watching)
            {
                registration.Dispose();
            }
        }

        _expiry?.Dispose();
        admission.Dispose();
        Live.Dispose();
        return true;
    }
}
