using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Services.Auth.Keys;
using SyncEngine.Testing;
using SyncEngine.Tokens;
using Xunit;

namespace Services.Auth.Tests;

/// <summary>
/// What validators read from Auth's JWKS (SyncEngine.Tokens' <see cref="AuthKeys"/>, now that they fetch it directly
/// instead of following the discovery document): the published keys validate Auth's tokens, under our own issuer.
/// </summary>
public sealed class JwksRoundTripTests
{
    private static readonly JsonWebTokenHandler Handler = new() { SetDefaultTimesOnTokenCreation = false };
    private readonly SigningKey _published = SigningKey.Generate(DateTimeOffset.UtcNow, DateTimeOffset.UtcNow);
    private readonly SigningKey _other = SigningKey.Generate(DateTimeOffset.UtcNow, DateTimeOffset.UtcNow);

    private static string Signed(SigningKey key) =>
        Handler.CreateToken(TestTokens.Descriptor(new SigningCredentials(key.PrivateSecurityKey(), SecurityAlgorithms.EcdsaSha256)));

    private async Task<TokenValidationResult> ValidateAsync(string token)
    {
        var jwks = System.Text.Json.JsonSerializer.Serialize(PublishKeys.JwksDocument([_published]));
        var configuration = AuthKeys.FromJwks(jwks, TokenClaims.DefaultIssuer);
        var parameters = TokenParameters.For(configuration.Issuer);
        parameters.IssuerSigningKeys = configuration.SigningKeys;
        return await Handler.ValidateTokenAsync(token, parameters);
    }

    [Fact]
    public async Task a_token_signed_by_a_published_key_validates_against_the_keys_read_from_the_jwks()
    {
        var result = await ValidateAsync(Signed(_published));

        Assert.True(result.IsValid, result.Exception?.ToString());
    }

    [Fact]
    public async Task a_token_signed_by_a_key_missing_from_the_jwks_does_not()
    {
        var result = await ValidateAsync(Signed(_other));

        Assert.False(result.IsValid);
    }

    [Fact]
    public void the_issuer_is_the_configured_one_whatever_the_document_says()
    {
        Assert.Equal("syncengine-here", AuthKeys.FromJwks("""{"keys":[],"issuer":"elsewhere"}""", "syncengine-here").Issuer);
    }
}
