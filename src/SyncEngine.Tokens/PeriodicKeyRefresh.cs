using Microsoft.IdentityModel.Protocols;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;

namespace SyncEngine.Tokens;

/// <summary>
/// Refetches Auth's keys every <c>Security:KeyRefreshEvery</c> (default 10 minutes): that bounds how long a retired key's
/// tokens are still accepted, and how early a new key must be published before it signs (`keys add` waits 15 minutes).
/// IdentityModel's own automatic refresh cannot be set below 5 minutes, so the end-to-end tests, which watch a retired
/// key being refused, set seconds here instead. A timer asks too, so a replica that gets no requests still learns new
/// keys before its next request carries one. An unknown kid still refreshes at once (JwtBearer's RequestRefresh,
/// passed through).
/// </summary>
public sealed class PeriodicKeyRefresh : IConfigurationManager<OpenIdConnectConfiguration>, IDisposable
{
    private readonly IConfigurationManager<OpenIdConnectConfiguration> _inner;
    private readonly TimeSpan _every;
    private readonly TimeProvider _clock;
    private readonly ITimer _timer;
    private long _nextRefresh;

    public PeriodicKeyRefresh(IConfigurationManager<OpenIdConnectConfiguration> inner, TimeSpan every, TimeProvider clock)
    {
        (_inner, _every, _clock) = (inner, every, clock);
        _nextRefresh = (clock.GetUtcNow() + every).UtcTicks;
        _timer = clock.CreateTimer(_ => _ = RefreshQuietlyAsync(), null, every, every);
    }

    public Task<OpenIdConnectConfiguration> GetConfigurationAsync(CancellationToken cancel)
    {
        var now = _clock.GetUtcNow().UtcTicks;
        var next = Interlocked.Read(ref _nextRefresh);
        // One caller per period asks; IdentityModel fetches in the background and later requests see the new keys.
        if (now >= next && Interlocked.CompareExchange(ref _nextRefresh, now + _every.Ticks, next) == next)
        {
            _inner.RequestRefresh();
        }

        return _inner.GetConfigurationAsync(cancel);
    }

    public void RequestRefresh() => _inner.RequestRefresh();

    public void Dispose() => _timer.Dispose();

    private async Task RefreshQuietlyAsync()
    {
        Interlocked.Exchange(ref _nextRefresh, (_clock.GetUtcNow() + _every).UtcTicks);
        _inner.RequestRefresh();
        try
        {
            await _inner.GetConfigurationAsync(CancellationToken.None);
        }
        catch (Exception e) when (e is InvalidOperationException or HttpRequestException or IOException or TaskCanceledException)
        {
            // Auth unreachable for now: the keys already known stay in use, and the next tick or request asks again.
        }
    }
}
