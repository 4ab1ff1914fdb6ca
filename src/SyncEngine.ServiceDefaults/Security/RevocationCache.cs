using System.Collections.Concurrent;
using Marten;
using Microsoft.Extensions.DependencyInjection;

namespace SyncEngine.ServiceDefaults.Security;

/// <summary>
/// Remembers, for a short while, what the store said about a (workspace, client) pair, so a busy client's requests do
/// not each cost a database round trip. The lifetime bounds how stale an answer can be; with the AccessRevoked message
/// arriving in milliseconds, a revoked client is still refused well within DESIGN's one second, on every replica and
/// without any invalidation to get wrong. `Security:RevocationCacheLifetime` (default 250 ms; zero turns it off).
/// </summary>
public sealed class RevocationCache(TimeProvider clock, TimeSpan lifetime)
{
    // A bound on memory, not an eviction policy: beyond it the cache starts again empty.
    private const int MaxEntries = 100_000;
    private readonly ConcurrentDictionary<(Guid, Guid), (Revocation? Revocation, long Until)> _entries = new();

    /// <summary>Drops what is remembered of a pair, where a service hears of its revocation directly.</summary>
    public void Forget(Guid workspaceId, Guid clientId) => _entries.TryRemove((workspaceId, clientId), out _);

    public async Task<Revocation?> FindAsync(IServiceProvider services, Guid workspaceId, Guid clientId, CancellationToken ct)
    {
        var now = clock.GetTimestamp();
        if (_entries.TryGetValue((workspaceId, clientId), out var entry) && entry.Until > now)
        {
            return entry.Revocation;
        }

        var revocation = await services.GetRequiredService<IQuerySession>().FindRevocationAsync(workspaceId, clientId, ct);
        if (lifetime > TimeSpan.Zero)
        {
            if (_entries.Count >= MaxEntries)
            {
                _entries.Clear();
            }

            _entries[(workspaceId, clientId)] = (revocation, now + (long)(lifetime.TotalSeconds * clock.TimestampFrequency));
        }

        return revocation;
    }
}
