using Services.Auth.Keys;
using SyncEngine.Testing;
using Xunit;

namespace Services.Auth.Tests;

/// <summary>Tokens with invented kids cannot make Auth read its keys from the database once per token.</summary>
public sealed class KeyReloadGateTests
{
    private static readonly TimeSpan ReloadEvery = TimeSpan.FromMinutes(1);

    private sealed class CountingDatabase
    {
        private int _loads;

        public int Loads => _loads;

        public async Task<IReadOnlyList<SigningKey>> LoadAsync(CancellationToken ct)
        {
            Interlocked.Increment(ref _loads);
            // A read takes a while, so a flood piles up behind it as it would on a real database.
            await Task.Yield();
            return [];
        }
    }

    /// <summary>What JwtBearer does for each token whose kid is unknown: ask for a refresh, then fetch the keys again.</summary>
    private static Task UnknownKidTokensAsync(KeyReloadGate gate, CountingDatabase database, int tokens) =>
        Task.WhenAll(Enumerable.Range(0, tokens).Select(async _ =>
        {
            gate.RequestRefresh();
            await gate.KeysAsync(database.LoadAsync, force: false, CancellationToken.None);
        }));

    /// <summary>A gate that has loaded the keys once, as at Auth's start.</summary>
    private static async Task<(SteppedClock Clock, CountingDatabase Database, KeyReloadGate Gate)> StartedAsync()
    {
        var clock = new SteppedClock();
        var database = new CountingDatabase();
        var gate = new KeyReloadGate(clock, ReloadEvery);
        await gate.KeysAsync(database.LoadAsync, force: false, CancellationToken.None);
        Assert.Equal(1, database.Loads);
        return (clock, database, gate);
    }

    [Fact]
    public async Task a_flood_of_unknown_kid_tokens_reloads_the_keys_at_most_once_per_second()
    {
        var (clock, database, gate) = await StartedAsync();

        await UnknownKidTokensAsync(gate, database, 1000);
        Assert.Equal(1, database.Loads);

        for (var second = 1; second <= 5; second++)
        {
            clock.Now += TimeSpan.FromSeconds(1);
            await UnknownKidTokensAsync(gate, database, 1000);
            Assert.Equal(1 + second, database.Loads);
        }
    }

    [Fact]
    public async Task without_unknown_kids_the_keys_are_reloaded_on_schedule_only()
    {
        var (clock, database, gate) = await StartedAsync();

        clock.Now += TimeSpan.FromSeconds(30);
        await Task.WhenAll(Enumerable.Range(0, 100).Select(_ => gate.KeysAsync(database.LoadAsync, force: false, CancellationToken.None)));
        Assert.Equal(1, database.Loads);

        clock.Now += TimeSpan.FromSeconds(30);
        await Task.WhenAll(Enumerable.Range(0, 100).Select(_ => gate.KeysAsync(database.LoadAsync, force: false, CancellationToken.None)));
        Assert.Equal(2, database.Loads);
    }

    [Fact]
    public void an_unknown_kid_waits_no_longer_than_a_schedule_shorter_than_a_second()
    {
        var loadedAt = new DateTimeOffset(2026, 11, 26, 12, 0, 0, TimeSpan.Zero);
        var quick = new KeyReloadGate(new SteppedClock(), TimeSpan.FromMilliseconds(200));

        Assert.Equal(TimeSpan.FromMilliseconds(200), quick.RefreshGap);
        Assert.Equal(KeyReloadGate.UnknownKidFloor, new KeyReloadGate(new SteppedClock(), ReloadEvery).RefreshGap);
        Assert.False(KeyReloadGate.Due(loadedAt, refreshRequested: true, loadedAt.AddMilliseconds(999), ReloadEvery, KeyReloadGate.UnknownKidFloor));
        Assert.True(KeyReloadGate.Due(loadedAt, refreshRequested: true, loadedAt.AddSeconds(1), ReloadEvery, KeyReloadGate.UnknownKidFloor));
        Assert.False(KeyReloadGate.Due(loadedAt, refreshRequested: false, loadedAt.AddSeconds(59), ReloadEvery, KeyReloadGate.UnknownKidFloor));
        Assert.True(KeyReloadGate.Due(DateTimeOffset.MinValue, refreshRequested: false, loadedAt, ReloadEvery, KeyReloadGate.UnknownKidFloor));
    }

    [Fact]
    public async Task a_forced_reload_reads_the_database_even_within_the_gap()
    {
        var (_, database, gate) = await StartedAsync();

        await gate.KeysAsync(database.LoadAsync, force: true, CancellationToken.None);

        Assert.Equal(2, database.Loads);
    }
}
