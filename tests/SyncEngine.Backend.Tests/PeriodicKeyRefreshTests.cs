using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Microsoft.IdentityModel.Protocols;
using SyncEngine.Testing;
using SyncEngine.Tokens;
using Xunit;

namespace SyncEngine.Backend.Tests;

/// <summary>How often validators refetch Auth's keys: what bounds the life of a retired key's tokens.</summary>
public sealed class PeriodicKeyRefreshTests
{
    private static readonly TimeSpan Period = TimeSpan.FromMinutes(10);

    private sealed class CountingKeys : IConfigurationManager<OpenIdConnectConfiguration>
    {
        public int Refreshes { get; private set; }

        public Task<OpenIdConnectConfiguration> GetConfigurationAsync(CancellationToken cancel) => Task.FromResult(new OpenIdConnectConfiguration());

        public void RequestRefresh() => Refreshes++;
    }

    [Fact]
    public async Task keys_are_refetched_once_per_period_however_many_tokens_are_checked()
    {
        var clock = new SteppedClock();
        var keys = new CountingKeys();
        var periodic = new PeriodicKeyRefresh(keys, Period, clock);

        await CheckTokensAsync(periodic, 50);
        Assert.Equal(0, keys.Refreshes);

        clock.Now += Period;
        await CheckTokensAsync(periodic, 50);
        Assert.Equal(1, keys.Refreshes);

        clock.Now += Period - TimeSpan.FromSeconds(1);
        await CheckTokensAsync(periodic, 50);
        Assert.Equal(1, keys.Refreshes);

        clock.Now += TimeSpan.FromSeconds(1);
        await CheckTokensAsync(periodic, 1);
        Assert.Equal(2, keys.Refreshes);
    }

    [Fact]
    public void a_refresh_for_an_unknown_kid_goes_through_at_once()
    {
        var keys = new CountingKeys();

        new PeriodicKeyRefresh(keys, Period, new SteppedClock()).RequestRefresh();

        Assert.Equal(1, keys.Refreshes);
    }

    private static async Task CheckTokensAsync(PeriodicKeyRefresh keys, int count)
    {
        for (var i = 0; i < count; i++)
        {
            await keys.GetConfigurationAsync(CancellationToken.None);
        }
    }
}
