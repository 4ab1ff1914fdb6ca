using System.Security.Cryptography;
using System.Text;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using SyncEngine.Testing;
using SyncEngine.Tokens;
using Xunit;

namespace SyncEngine.Backend.Tests;

/// <summary>
/// The parameters every service and the gateway validate with (<see cref="TokenParameters.For"/>), against a
/// real ES256 key like one Auth publishes: what passes and what does not, before any service-specific check.
/// </summary>
public sealed class TokenValidationTests
{
    private static readonly JsonWebTokenHandler Handler = new() { SetDefaultTimesOnTokenCreation = false };
    private readonly TestKey _key = TestKey.Generate();

    private TokenValidationParameters Parameters(params SecurityKey[] extraKeys)
    {
        var parameters = TokenParameters.For(TokenClaims.DefaultIssuer);
        parameters.IssuerSigningKeys = [_key.PublicSecurityKey(), .. extraKeys];
        return parameters;
    }

    private static SecurityTokenDescriptor Descriptor(SigningCredentials? credentials, string issuer = TokenClaims.DefaultIssuer,
        string audience = TokenClaims.Audience, DateTime? expires = null) => TestTokens.Descriptor(credentials, issuer, audience, expires);

    private SigningCredentials Es256() => new(_key.PrivateSecurityKey(), SecurityAlgorithms.EcdsaSha256);

    private async Task<TokenValidationResult> ValidateAsync(string token, TokenValidationParameters? parameters = null) =>
        await Handler.ValidateTokenAsync(token, parameters ?? Parameters());

    [Fact]
    public async Task a_token_signed_es256_by_a_published_key_with_its_kid_is_valid()
    {
        var token = Handler.CreateToken(Descriptor(Es256(), expires: DateTime.UtcNow.AddHours(1)));

        var result = await ValidateAsync(token);

        Assert.True(result.IsValid, result.Exception?.ToString());
        Assert.Equal(_key.Id, Jwt(token).Kid);
        Assert.Equal(TokenClaims.Algorithm, Jwt(token).Alg);
    }

    [Fact]
    public async Task a_token_of_another_issuer_is_invalid()
    {
        var result = await ValidateAsync(Handler.CreateToken(Descriptor(Es256(), issuer: "someone-else")));

        Assert.IsType<SecurityTokenInvalidIssuerException>(result.Exception);
    }

    [Fact]
    public async Task a_token_for_another_audience_is_invalid()
    {
        var result = await ValidateAsync(Handler.CreateToken(Descriptor(Es256(), audience: "another-api")));

        Assert.IsType<SecurityTokenInvalidAudienceException>(result.Exception);
    }

    [Fact]
    public async Task an_unsigned_alg_none_token_is_invalid()
    {
        var token = Handler.CreateToken(Descriptor(credentials: null));
        Assert.Equal("none", Jwt(token).Alg);

        var result = await ValidateAsync(token);

        Assert.False(result.IsValid);
        Assert.IsAssignableFrom<SecurityTokenInvalidSignatureException>(result.Exception);
    }

    [Fact]
    public async Task an_hs256_token_is_invalid_even_when_its_secret_is_among_the_validation_keys()
    {
        // The key-confusion forgery: HMAC keyed with the public key's bytes. Only the ES256 pin stops it here.
        var secret = new SymmetricSecurityKey(SHA256.HashData(Encoding.UTF8.GetBytes(_key.Id))) { KeyId = "forged" };
        var token = Handler.CreateToken(Descriptor(new SigningCredentials(secret, SecurityAlgorithms.HmacSha256)));
        var pinned = Parameters(secret);
        var unpinned = Parameters(secret);
        unpinned.ValidAlgorithms = null;

        var result = await ValidateAsync(token, pinned);

        Assert.False(result.IsValid);
        var withoutPin = await ValidateAsync(token, unpinned);
        Assert.True(withoutPin.IsValid, $"the forgery must pass without the ES256 pin, or this test proves nothing: {withoutPin.Exception}");
    }

    [Fact]
    public async Task an_expired_token_is_invalid_once_past_the_clock_skew()
    {
        var token = Handler.CreateToken(Descriptor(Es256(), expires: DateTime.UtcNow.AddSeconds(-10)));

        var result = await ValidateAsync(token);

        Assert.IsType<SecurityTokenExpiredException>(result.Exception);
    }

    [Fact]
    public async Task a_token_without_a_kid_is_invalid_even_when_signed_by_a_published_key()
    {
        // Auth always names the key it signed with, so a kid-less token was not made by Auth's issuer.
        var anonymous = _key.PrivateSecurityKey();
        anonymous.KeyId = null;
        var token = Handler.CreateToken(Descriptor(new SigningCredentials(anonymous, SecurityAlgorithms.EcdsaSha256)));
        Assert.False(Jwt(token).TryGetHeaderValue<string>("kid", out _));

        var result = await ValidateAsync(token);

        Assert.False(result.IsValid);
        Assert.IsType<SecurityTokenSignatureKeyNotFoundException>(result.Exception);
    }

    [Fact]
    public async Task a_token_whose_kid_is_not_published_is_refused_for_its_key_not_as_expired()
    {
        // A validator that has not fetched a new key yet sees this; a token without exp must not be called expired then.
        var unpublished = TestKey.Generate();
        var token = Handler.CreateToken(Descriptor(new SigningCredentials(unpublished.PrivateSecurityKey(), SecurityAlgorithms.EcdsaSha256)));

        var result = await ValidateAsync(token);

        Assert.False(result.IsValid);
        Assert.IsType<SecurityTokenSignatureKeyNotFoundException>(result.Exception);
    }

    [Fact]
    public async Task a_token_signed_by_another_key_under_a_published_kid_is_invalid()
    {
        var other = TestKey.Generate();
        var impostor = other.PrivateSecurityKey();
        impostor.KeyId = _key.Id;

        var result = await ValidateAsync(Handler.CreateToken(Descriptor(new SigningCredentials(impostor, SecurityAlgorithms.EcdsaSha256))));

        Assert.False(result.IsValid);
        Assert.IsAssignableFrom<SecurityTokenInvalidSignatureException>(result.Exception);
    }

    private static JsonWebToken Jwt(string token) => new(token);
}
