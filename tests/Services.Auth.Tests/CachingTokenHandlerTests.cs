using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Services.Auth.Keys;
using SyncEngine.ServiceDefaults.Security;
using Xunit;

namespace Services.Auth.Tests;

/// <summary>
/// What a remembered validation may skip and what it may not. A hit is observed by taking the key out of the very key
/// list the token was validated with: only an answer from memory can still say valid then.
/// </summary>
public sealed class CachingTokenHandlerTests : IDisposable
{
    private readonly SigningKey _key = SigningKey.Generate(DateTimeOffset.UtcNow, DateTimeOffset.UtcNow);
    private readonly Clock _clock = new();
    private readonly CachingTokenHandler _handler;

    public CachingTokenHandlerTests() => _handler = new CachingTokenHandler(_clock);

    private sealed class Clock : TimeProvider
    {
        public TimeSpan Ahead { get; set; }

        public override DateTimeOffset GetUtcNow() => DateTimeOffset.UtcNow + Ahead;
    }

    private (TokenValidationParameters Parameters, List<SecurityKey> Keys) Published()
    {
        var keys = new List<SecurityKey> { _key.PublicSecurityKey() };
        var parameters = TokenValidation.Parameters(TokenClaims.DefaultIssuer);
        parameters.IssuerSigningKeys = keys;
        return (parameters, keys);
    }

    private string Token(DateTime? expires = null) => new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(
        new SecurityTokenDescriptor
        {
            Issuer = TokenClaims.DefaultIssuer,
            Audience = TokenClaims.Audience,
            Expires = expires,
            Claims = new Dictionary<string, object>
            {
                [TokenClaims.Subject] = Guid.NewGuid().ToString(),
                [TokenClaims.WorkspaceId] = Guid.NewGuid().ToString(),
                [TokenClaims.Scope] = Scopes.ReadWrite,
                [TokenClaims.Master] = true,
                [TokenClaims.JwtId] = Guid.NewGuid().ToString(),
                [TokenClaims.IssuedAt] = DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
            },
            SigningCredentials = new SigningCredentials(_key.PrivateSecurityKey(), SecurityAlgorithms.EcdsaSha256),
        });

    [Fact]
    public async Task a_token_validated_once_is_answered_from_memory_with_its_own_copy_of_the_claims()
    {
        var (parameters, keys) = Published();
        var token = Token();
        var first = await _handler.ValidateTokenAsync(token, parameters);
        Assert.True(first.IsValid, first.Exception?.ToString());

        keys.Clear();
        var second = await _handler.ValidateTokenAsync(token, parameters);

        Assert.True(second.IsValid);
        Assert.NotSame(first.ClaimsIdentity, second.ClaimsIdentity);
        Assert.Equal(first.ClaimsIdentity.FindFirst(TokenClaims.Subject)?.Value, second.ClaimsIdentity.FindFirst(TokenClaims.Subject)?.Value);
    }

    [Fact]
    public async Task a_new_key_set_checks_the_token_again()
    {
        var (parameters, _) = Published();
        var token = Token();
        Assert.True((await _handler.ValidateTokenAsync(token, parameters)).IsValid);

        // Keys refetched without this token's key (it was retired): a new list, as a key refresh makes.
        parameters.IssuerSigningKeys = new List<SecurityKey>();
        var result = await _handler.ValidateTokenAsync(token, parameters);

        Assert.False(result.IsValid);
        Assert.IsType<SecurityTokenSignatureKeyNotFoundException>(result.Exception);
    }

    [Fact]
    public async Task a_remembered_token_past_its_exp_is_checked_again()
    {
        var (parameters, keys) = Published();
        var token = Token(expires: DateTime.UtcNow.AddMinutes(1));
        Assert.True((await _handler.ValidateTokenAsync(token, parameters)).IsValid);

        keys.Clear();
        _clock.Ahead = TimeSpan.FromMinutes(2);
        var result = await _handler.ValidateTokenAsync(token, parameters);

        Assert.False(result.IsValid);
    }

    [Fact]
    public async Task a_refused_token_is_not_remembered()
    {
        var (parameters, _) = Published();
        var token = Token();
        var tampered = token[..^4] + (token[^4] == 'A' ? "B" : "A") + token[^3..];

        Assert.False((await _handler.ValidateTokenAsync(tampered, parameters)).IsValid);
        Assert.False((await _handler.ValidateTokenAsync(tampered, parameters)).IsValid);
        Assert.True((await _handler.ValidateTokenAsync(token, parameters)).IsValid);
    }

    public void Dispose() => _handler.Dispose();
}
