using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using SyncEngine.Testing;
using SyncEngine.Tokens;
using Xunit;

namespace SyncEngine.Backend.Tests;

/// <summary>
/// What a remembered validation may skip and what it may not. A hit is observed by handing over, under the same kid, a
/// key that did not sign the token: only an answer from memory can still say valid then.
/// </summary>
public sealed class CachingTokenHandlerTests : IDisposable
{
    private readonly TestKey _key = TestKey.Generate();
    private readonly Clock _clock = new();
    private readonly CachingTokenHandler _handler;

    public CachingTokenHandlerTests() => _handler = new CachingTokenHandler(_clock);

    private sealed class Clock : TimeProvider
    {
        public TimeSpan Ahead { get; set; }

        public override DateTimeOffset GetUtcNow() => DateTimeOffset.UtcNow + Ahead;
    }

    private TokenValidationParameters Published(params SecurityKey[] keys)
    {
        var parameters = TokenParameters.For(TokenClaims.DefaultIssuer);
        parameters.IssuerSigningKeys = keys.Length > 0 ? keys : [_key.PublicSecurityKey()];
        return parameters;
    }

    /// <summary>Another key published under this key's kid: it cannot verify the token's signature.</summary>
    private SecurityKey Impostor()
    {
        var other = TestKey.Generate().PublicSecurityKey();
        other.KeyId = _key.Id;
        return other;
    }

    private string Token(DateTime? expires = null) => new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(
        TestTokens.Descriptor(new SigningCredentials(_key.PrivateSecurityKey(), SecurityAlgorithms.EcdsaSha256), expires: expires));

    [Fact]
    public async Task a_token_validated_once_is_answered_from_memory_with_its_own_copy_of_the_claims()
    {
        var token = Token();
        var first = await _handler.ValidateTokenAsync(token, Published());
        Assert.True(first.IsValid, first.Exception?.ToString());
        Assert.False((await new JsonWebTokenHandler().ValidateTokenAsync(token, Published(Impostor()))).IsValid);

        var second = await _handler.ValidateTokenAsync(token, Published(Impostor()));

        Assert.True(second.IsValid);
        Assert.NotSame(first.ClaimsIdentity, second.ClaimsIdentity);
        Assert.Equal(first.ClaimsIdentity.FindFirst(TokenClaims.Subject)?.Value, second.ClaimsIdentity.FindFirst(TokenClaims.Subject)?.Value);
    }

    [Fact]
    public async Task a_new_key_set_checks_the_token_again()
    {
        var token = Token();
        Assert.True((await _handler.ValidateTokenAsync(token, Published())).IsValid);

        // Keys refetched without this token's key (it was retired), another key published instead.
        var result = await _handler.ValidateTokenAsync(token, Published(TestKey.Generate().PublicSecurityKey()));

        Assert.False(result.IsValid);
        Assert.IsType<SecurityTokenSignatureKeyNotFoundException>(result.Exception);
    }

    [Fact]
    public async Task a_remembered_token_past_its_exp_is_checked_again()
    {
        var token = Token(expires: DateTime.UtcNow.AddMinutes(1));
        Assert.True((await _handler.ValidateTokenAsync(token, Published())).IsValid);

        _clock.Ahead = TimeSpan.FromMinutes(2);
        var result = await _handler.ValidateTokenAsync(token, Published(Impostor()));

        Assert.False(result.IsValid);
    }

    [Fact]
    public async Task a_refused_token_is_not_remembered()
    {
        var token = Token();
        Assert.False((await _handler.ValidateTokenAsync(token, Published(Impostor()))).IsValid);

        // Had the refusal been remembered, the token would stay refused under the right key.
        Assert.True((await _handler.ValidateTokenAsync(token, Published())).IsValid);
    }

    [Fact]
    public async Task without_published_keys_nothing_is_remembered()
    {
        var token = Token();
        var parameters = TokenParameters.For(TokenClaims.DefaultIssuer);
        parameters.IssuerSigningKey = _key.PublicSecurityKey();
        Assert.True((await _handler.ValidateTokenAsync(token, parameters)).IsValid);

        parameters.IssuerSigningKey = Impostor();
        Assert.False((await _handler.ValidateTokenAsync(token, parameters)).IsValid);
    }

    [Fact]
    public async Task a_flood_of_single_use_tokens_beyond_the_limit_does_not_push_out_a_token_in_use()
    {
        var hot = Token();
        Assert.True((await _handler.ValidateTokenAsync(hot, Published())).IsValid);
        Assert.True((await _handler.ValidateTokenAsync(hot, Published())).IsValid);

        // Tokens an attacker mints by claiming workspaces of its own: valid, each used once, more than the cache holds.
        foreach (var flood in Enumerable.Range(0, CachingTokenHandler.SizeLimit + CachingTokenHandler.SizeLimit / 5).Select(_ => Token()))
        {
            Assert.True((await _handler.ValidateTokenAsync(flood, Published())).IsValid);
        }

        Assert.True((await _handler.ValidateTokenAsync(hot, Published(Impostor()))).IsValid);
    }

    public void Dispose() => _handler.Dispose();
}
