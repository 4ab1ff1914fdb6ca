using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Services.Auth.Keys;
using SyncEngine.Tokens;
using Xunit;

namespace Services.Auth.Tests;

public sealed class TokenRoundTripTests
{
    [Fact]
    public async Task a_token_without_expiry_validates()
    {
        var key = SigningKey.Generate(DateTimeOffset.UtcNow, DateTimeOffset.UtcNow);
        var handler = new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false };
        var token = handler.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = TokenClaims.DefaultIssuer,
            Audience = TokenClaims.Audience,
            Claims = new Dictionary<string, object> { ["sub"] = Guid.NewGuid().ToString(), ["iat"] = DateTimeOffset.UtcNow.ToUnixTimeSeconds() },
            SigningCredentials = new SigningCredentials(key.PrivateSecurityKey(), SecurityAlgorithms.EcdsaSha256),
        });
        var parameters = TokenParameters.For(TokenClaims.DefaultIssuer);
        parameters.IssuerSigningKey = key.PublicSecurityKey();

        var result = await handler.ValidateTokenAsync(token, parameters);

        Assert.True(result.IsValid, result.Exception?.ToString());
    }
}
