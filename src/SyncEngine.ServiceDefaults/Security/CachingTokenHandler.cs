using Microsoft.Extensions.Caching.Memory;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace SyncEngine.ServiceDefaults.Security;

/// <summary>
/// Remembers which token strings passed validation, so a client's next requests skip the ES256 signature check: in a
/// CPU profile of Sync under load that check was the largest single cost of a request (docs/benchmarks.md). A
/// remembered answer is used only under the same published key ids it was given under (a retired or added key makes
/// every token check again), never past the token's exp, and for at most <see cref="Lifetime"/>; with no keys given
/// (nothing to compare) nothing is remembered. It covers the signature, issuer, audience and lifetime checks only:
/// revocation is checked on every request after it.
/// </summary>
public sealed class CachingTokenHandler : JsonWebTokenHandler, IDisposable
{
    public static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(5);

    private readonly MemoryCache _validated = new(new MemoryCacheOptions { SizeLimit = 10_000 });
    private readonly TimeProvider _clock;

    public CachingTokenHandler(TimeProvider? clock = null) => _clock = clock ?? TimeProvider.System;

    private sealed record Validated(string KeyIds, TokenValidationResult Result, DateTime? Expires);

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
            return Copy(known.Result);
        }

        var result = await base.ValidateTokenAsync(token, validationParameters);
        if (result.IsValid && result.SecurityToken is JsonWebToken jwt)
        {
            DateTime? expires = jwt.TryGetPayloadValue<long>(JwtRegisteredClaimNames.Exp, out _) ? jwt.ValidTo : null;
            var until = now + Lifetime;
            _validated.Set(token, new Validated(keyIds, Copy(result), expires), new MemoryCacheEntryOptions
            {
                Size = 1,
                AbsoluteExpiration = expires is { } e && e < until ? e : until,
            });
        }

        return result;
    }

    public void Dispose() => _validated.Dispose();

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
