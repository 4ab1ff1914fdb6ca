namespace Services.Auth.Keys;

/// <summary>
/// When the ring rereads the database. On schedule every <c>Auth:KeyReloadEvery</c>; and when JwtBearer meets a token
/// whose kid it does not know (RequestRefresh), sooner, but at most once per <see cref="RefreshGap"/>: anyone can
/// mint tokens with invented kids, and each one used to cost a database read. A second is enough for a key added by
/// the keys command to be seen at once in practice, and is never longer than the schedule itself.
/// </summary>
public sealed class KeyReloadGate(TimeProvider clock, TimeSpan reloadEvery)
{
    public static readonly TimeSpan UnknownKidFloor = TimeSpan.FromSeconds(1);

    private readonly SemaphoreSlim _reload = new(1, 1);
    private IReadOnlyList<SigningKey> _keys = [];
    private DateTimeOffset _loadedAt = DateTimeOffset.MinValue;
    private volatile bool _refreshRequested;

    public TimeSpan RefreshGap { get; } = reloadEvery < UnknownKidFloor ? reloadEvery : UnknownKidFloor;

    /// <summary>Whether keys loaded at <paramref name="loadedAt"/> must be reread at <paramref name="now"/>.</summary>
    public static bool Due(DateTimeOffset loadedAt, bool refreshRequested, DateTimeOffset now, TimeSpan reloadEvery, TimeSpan refreshGap) =>
        loadedAt == DateTimeOffset.MinValue || now - loadedAt >= (refreshRequested ? refreshGap : reloadEvery);

    public void RequestRefresh() => _refreshRequested = true;

    /// <summary>The keys as last loaded, reloaded through <paramref name="load"/> when due (always when <paramref name="force"/>).</summary>
    public async Task<IReadOnlyList<SigningKey>> KeysAsync(
        Func<CancellationToken, Task<IReadOnlyList<SigningKey>>> load, bool force, CancellationToken ct)
    {
        if (!force && !IsDue())
        {
            return _keys;
        }

        await _reload.WaitAsync(ct);
        try
        {
            // Callers that queued behind a reload take its result instead of reading again.
            if (!force && !IsDue())
            {
                return _keys;
            }

            _keys = await load(ct);
            _loadedAt = clock.GetUtcNow();
            _refreshRequested = false;
            return _keys;
        }
        finally
        {
            _reload.Release();
        }
    }

    private bool IsDue() => Due(_loadedAt, _refreshRequested, clock.GetUtcNow(), reloadEvery, RefreshGap);
}
