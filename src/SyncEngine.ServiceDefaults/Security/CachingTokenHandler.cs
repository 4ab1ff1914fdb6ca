using Microsoft.Extensions.Caching.Memory;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace SyncEngine.ServiceDefaults.Security;

/// <summary>
/// Remembers which token strings passed validation, so a client's next requests skip the ES256 signature check: in a
/// CPU profile of Sync under load that check was the largest single cost of a request (docs/benchmarks.md). A
/// remembered answer is used only with the same signing-key set it was given under (a key refresh, e.g. a retired
/// key, makes every token check again), never past the token's exp, and for at most <see cref="Lifetime"/>. It
/// covers the signature, issuer, audience and lifetime checks only: revocation is checked on every request after it.
/// </summary>
public sealed class CachingTokenHandler : JsonWebTokenHandler, IDisposable
{
    public static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(5);

    private readonly MemoryCache _validated = new(new MemoryCacheOptions { SizeLimit = 10_000 });
    private readonly TimeProvider _clock;

    public CachingTokenHandler(TimeProvider? clock = null) => _clock = clock ?? TimeProvider.System;

    private sealed record Validated(object? Keys, TokenValidationResult Result, DateTime? Expires);

    public override async Task<TokenValidationResult> ValidateTokenAsync(string token, TokenValidationParameters validationParameters)
    {
        var now = _clock.GetUtcNow().UtcDateTime;
        if (_validated.TryGetValue(token, out Validated? known) && ReferenceEquals(known!.Keys, validationParameters.IssuerSigningKeys)
            && (known.Expires is not { } knownExpiry || now <= knownExpiry + validationParameters.ClockSkew))
        {
            return new TokenValidationResult
            {
                IsValid = true,
                ClaimsIdentity = known.Result.ClaimsIdentity.Clone(),
                SecurityToken = known.Result.SecurityToken,
                Issuer = known.Result.Issuer,
                TokenType = known.Result.TokenType,
            };
        }

        var result = await base.ValidateTokenAsync(token, validationParameters);
        if (result.IsValid && result.SecurityToken is JsonWebToken jwt)
        {
            DateTime? expires = jwt.TryGetPayloadValue<long>(JwtRegisteredClaimNames.Exp, out _) ? jwt.ValidTo : null;
            var until = now + Lifetime;
            _validated.Set(token, new Validated(validationParameters.IssuerSigningKeys, result, expires), new MemoryCacheEntryOptions
            {
                Size = 1,
                AbsoluteExpiration = expires is { } e && e < until ? e : until,
            });
        }

        return result;
    }

    public void Dispose() => _validated.Dispose();
}
