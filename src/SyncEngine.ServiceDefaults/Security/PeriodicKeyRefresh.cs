using Microsoft.IdentityModel.Protocols;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;

namespace SyncEngine.ServiceDefaults.Security;

/// <summary>
/// Refetches Auth's keys every <c>Security:KeyRefreshEvery</c> (default 10 minutes): that bounds how long a retired key's
/// tokens are still accepted. IdentityModel's own automatic refresh cannot be set below 5 minutes, so the end-to-end
/// tests, which watch a retired key being refused, set seconds here instead. An unknown kid still refreshes at once
/// (JwtBearer's RequestRefresh, passed through).
/// </summary>
public sealed class PeriodicKeyRefresh(IConfigurationManager<OpenIdConnectConfiguration> inner, TimeSpan every, TimeProvider clock)
    : IConfigurationManager<OpenIdConnectConfiguration>
{
    private long _nextRefresh = (clock.GetUtcNow() + every).UtcTicks;

    public Task<OpenIdConnectConfiguration> GetConfigurationAsync(CancellationToken cancel)
    {
        var now = clock.GetUtcNow().UtcTicks;
        var next = Interlocked.Read(ref _nextRefresh);
        // One caller per period asks; IdentityModel fetches in the background and later requests see the new keys.
        if (now >= next && Interlocked.CompareExchange(ref _nextRefresh, now + every.Ticks, next) == next)
        {
            inner.RequestRefresh();
        }

        return inner.GetConfigurationAsync(cancel);
    }

    public void RequestRefresh() => inner.RequestRefresh();
}
