using Marten;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.DependencyInjection;
using SyncEngine.Tokens;

namespace SyncEngine.Backend.Security;

/// <summary>
/// Remembers, for a short while, what the store said about a (workspace, client) pair, so a busy client's requests do
/// not each cost a database round trip. The lifetime bounds how stale an answer can be; with the AccessRevoked message
/// arriving in milliseconds, a revoked client is still refused well within DESIGN's one second, on every replica and
/// without any invalidation to get wrong. `Security:RevocationCacheLifetime` (default 250 ms; zero turns it off).
/// </summary>
public sealed class RevocationCache(TimeSpan lifetime) : IDisposable
{
    // Each entry counts 1 towards the limit: a bound on memory under many distinct clients.
    private readonly MemoryCache _entries = new(new MemoryCacheOptions { SizeLimit = 100_000 });

    private sealed record Answer(Revocation? Revocation);

    /// <summary>Drops what is remembered of a pair, where a service hears of its revocation directly.</summary>
    public void Forget(Guid workspaceId, Guid clientId) => _entries.Remove((workspaceId, clientId));

    public async Task<Revocation?> FindAsync(IServiceProvider services, Guid workspaceId, Guid clientId, CancellationToken ct)
    {
        if (_entries.TryGetValue((workspaceId, clientId), out Answer? remembered))
        {
            return remembered!.Revocation;
        }

        var revocation = await services.GetRequiredService<IQuerySession>().FindRevocationAsync(workspaceId, clientId, ct);
        if (lifetime > TimeSpan.Zero)
        {
            _entries.Set((workspaceId, clientId), new Answer(revocation),
                new MemoryCacheEntryOptions { AbsoluteExpirationRelativeToNow = lifetime, Size = 1 });
        }

        return revocation;
    }

    /// <summary>Whether the store refuses this token: its pair revoked at or after its iat, or its own id revoked.</summary>
    public async Task<bool> RefusesAsync(IServiceProvider services, TokenHolder holder, DateTimeOffset issuedAt, CancellationToken ct) =>
        (await FindAsync(services, holder.WorkspaceId, holder.ClientId, ct)).Refuses(issuedAt, holder.TokenId);

    public void Dispose() => _entries.Dispose();
}
