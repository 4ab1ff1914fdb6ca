using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace SyncEngine.Tokens;

/// <summary>
/// exp and nbf are checked only when the token carries them (exp is optional, docs/design.md). IdentityModel, when it cannot
/// find a token's key, checks lifetime first and treats a missing exp as DateTime.MinValue: a non-expiring token signed
/// by a key the validator has not fetched yet was refused as "expired", and since JwtBearer refetches keys only on
/// key-not-found, the validator never learned the new key until its periodic refresh. Reading the claims from the
/// token itself keeps "unknown key" an unknown key.
/// </summary>
public static class TokenLifetime
{
    public static bool Validate(DateTime? notBefore, DateTime? expires, SecurityToken token, TokenValidationParameters parameters)
    {
        if (token is JsonWebToken jwt)
        {
            expires = jwt.TryGetPayloadValue<long>(JwtRegisteredClaimNames.Exp, out _) ? expires : null;
            notBefore = jwt.TryGetPayloadValue<long>(JwtRegisteredClaimNames.Nbf, out _) ? notBefore : null;
        }

        var now = DateTime.UtcNow;
        if (expires is { } expiry && expiry < now - parameters.ClockSkew)
        {
            throw new SecurityTokenExpiredException($"The token expired at {expiry:O}.") { Expires = expiry };
        }

        if (notBefore is { } start && start > now + parameters.ClockSkew)
        {
            throw new SecurityTokenNotYetValidException($"The token is not valid before {start:O}.") { NotBefore = start };
        }

        return true;
    }
}
