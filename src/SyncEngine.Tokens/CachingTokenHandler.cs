using Microsoft.Extensions.Caching.Memory;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace SyncEngine.Tokens;

/// <summary>
/// Remembers which token strings passed validation, so a client's next requests skip the ES256 signature check: in a
/// CPU profile of Sync under load that check was the largest single cost of a request (docs/benchmarks.md). A
/// remembered answer is used only under the same published key ids it was given under (a retired or added key makes
/// every token check again), never past the token's exp, and for at most <see cref="Lifetime"/>; with no keys given
/// (nothing to compare) nothing is remembered. It covers the signature, issuer, audience and lifetime checks only:
/// revocation is checked on every request after it.
/// </summary>
/// <remarks>
/// Anyone can mint valid tokens by claiming workspaces, so a flood of them must not push out the tokens clients use
/// (every one of their requests would pay the signature check again). A token enters at low priority and is raised to
/// high on its first reuse; when full, MemoryCache's compaction removes low-priority entries before any high one
/// (least recently used first within a priority), and a full cache refuses new entries rather than evicting.
/// </remarks>
public sealed class CachingTokenHandler : JsonWebTokenHandler, IDisposable
{
    public static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(5);

    public const int SizeLimit = 10_000;

    private readonly MemoryCache _validated = new(new MemoryCacheOptions { SizeLimit = SizeLimit });
    private readonly TimeProvider _clock;

    public CachingTokenHandler(TimeProvider? clock = null) => _clock = clock ?? TimeProvider.System;

    private sealed record Validated(string KeyIds, TokenValidationResult Result, DateTime? Expires, DateTime Until)
    {
        public bool InUse { get; set; }
    }

    public override async Task<TokenValidationResult> ValidateTokenAsync(string token, TokenValidationParameters validationParameters)
    {
        if (validationParameters.IssuerSigningKeys is not { } keys)
        {
            return await base.ValidateTokenAsync(token, validationParameters);
        }

        var now = _clock.GetUtcNow().UtcDateTime;
        // Auth builds its key objects anew per request, and a refetch yields new ones: the published kids are what count.
        var keyIds = string.Join(' ', keys.Select(k => k.KeyId).Order(StringComparer.Ordinal));
        if (_validated.TryGetValue(token, out Validated? known) && known!.KeyIds == keyIds
            && (known.Expires is not { } knownExpiry || now <= knownExpiry + validationParameters.ClockSkew))
        {
            if (!known.InUse)
            {
                // Used again: a client's token, not one of a flood's single-use ones, so it outlives them when full.
                known.InUse = true;
                _validated.Set(token, known, Entry(known.Until, CacheItemPriority.High));
            }

            return Copy(known.Result);
        }

        var result = await base.ValidateTokenAsync(token, validationParameters);
        if (result.IsValid && result.SecurityToken is JsonWebToken jwt)
        {
            DateTime? expires = jwt.TryGetPayloadValue<long>(JwtRegisteredClaimNames.Exp, out _) ? jwt.ValidTo : null;
            var until = expires is { } e && e < now + Lifetime ? e : now + Lifetime;
            _validated.Set(token, new Validated(keyIds, Copy(result), expires, until), Entry(until, CacheItemPriority.Low));
        }

        return result;
    }

    public void Dispose() => _validated.Dispose();

    private static MemoryCacheEntryOptions Entry(DateTime until, CacheItemPriority priority) =>
        new() { Size = 1, AbsoluteExpiration = until, Priority = priority };

    /// <summary>Each request gets claims of its own: nothing one request's pipeline does to them reaches another's.</summary>
    private static TokenValidationResult Copy(TokenValidationResult result) => new()
    {
        IsValid = true,
        ClaimsIdentity = result.ClaimsIdentity.Clone(),
        SecurityToken = result.SecurityToken,
        Issuer = result.Issuer,
        TokenType = result.TokenType,
    };
}
