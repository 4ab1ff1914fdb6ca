using System.Security.Cryptography;
using Gateway;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Protocols;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Microsoft.IdentityModel.Tokens;
using SyncEngine.Tokens;
using Xunit;

namespace Gateway.Tests;

/// <summary>Which requests the gateway counts as a proven client (its own rate bucket), and which as their address.</summary>
public sealed class ValidatedClientTests : IDisposable
{
    private static readonly JsonWebTokenHandler Handler = new() { SetDefaultTimesOnTokenCreation = false };
    private readonly ECDsaSecurityKey _published = NewKey("published");
    private readonly ECDsaSecurityKey _unpublished = NewKey("unpublished");
    private readonly Guid _workspace = Guid.NewGuid();
    private readonly Guid _client = Guid.NewGuid();
    private readonly ValidatedClient.Checker _checker;

    public ValidatedClientTests()
    {
        var configuration = new OpenIdConnectConfiguration { Issuer = TokenClaims.DefaultIssuer };
        configuration.SigningKeys.Add(_published);
        _checker = new ValidatedClient.Checker(new Keys(Task.FromResult(configuration)), new CachingTokenHandler(), TokenClaims.DefaultIssuer);
    }

    private sealed class Keys(Task<OpenIdConnectConfiguration> configuration) : IConfigurationManager<OpenIdConnectConfiguration>
    {
        public int Asked { get; private set; }

        public Task<OpenIdConnectConfiguration> GetConfigurationAsync(CancellationToken cancel)
        {
            Asked++;
            return configuration;
        }

        public void RequestRefresh()
        {
        }
    }

    private static ECDsaSecurityKey NewKey(string id) => new(ECDsa.Create(ECCurve.NamedCurves.nistP256)) { KeyId = id };

    private string Token(SecurityKey key, DateTime? expires = null) => Handler.CreateToken(new SecurityTokenDescriptor
    {
        Issuer = TokenClaims.DefaultIssuer,
        Audience = TokenClaims.Audience,
        Expires = expires,
        Claims = new Dictionary<string, object>
        {
            [TokenClaims.Subject] = _client.ToString(),
            [TokenClaims.WorkspaceId] = _workspace.ToString(),
            [TokenClaims.Scope] = Scopes.ReadWrite,
            [TokenClaims.Master] = true,
            [TokenClaims.JwtId] = Guid.NewGuid().ToString(),
            [TokenClaims.IssuedAt] = DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
        },
        SigningCredentials = new SigningCredentials(key, SecurityAlgorithms.EcdsaSha256),
    });

    [Fact]
    public async Task a_valid_token_is_keyed_on_its_workspace_and_client()
    {
        Assert.Equal($"client:{_workspace:N}:{_client:N}", (await _checker.ClientOfAsync($"Bearer {Token(_published)}"))?.Key);
    }

    [Fact]
    public async Task two_tokens_of_one_client_share_one_key()
    {
        Assert.Equal(await _checker.ClientOfAsync($"Bearer {Token(_published)}"), await _checker.ClientOfAsync($"Bearer {Token(_published)}"));
    }

    [Theory]
    [InlineData("Bearer invented")]
    [InlineData("Bearer ")]
    [InlineData("Basic dXNlcjpwYXNz")]
    [InlineData("")]
    public async Task an_invented_or_foreign_credential_is_not_a_client(string authorization)
    {
        Assert.Null(await _checker.ClientOfAsync(authorization));
    }

    [Fact]
    public async Task a_token_signed_by_an_unpublished_key_is_not_a_client()
    {
        Assert.Null(await _checker.ClientOfAsync($"Bearer {Token(_unpublished)}"));
    }

    [Fact]
    public async Task a_token_whose_signature_was_tampered_with_is_not_a_client()
    {
        var token = Token(_published);
        var forged = token[..^4] + (token[^4] == 'A' ? "BBBB" : "AAAA");

        Assert.Null(await _checker.ClientOfAsync($"Bearer {forged}"));
    }

    [Fact]
    public async Task an_expired_token_is_not_a_client()
    {
        Assert.Null(await _checker.ClientOfAsync($"Bearer {Token(_published, expires: DateTime.UtcNow.AddMinutes(-10))}"));
    }

    [Fact]
    public async Task until_the_keys_arrive_no_token_is_a_client_and_nothing_waits_for_them()
    {
        var never = new TaskCompletionSource<OpenIdConnectConfiguration>();
        using var checker = new ValidatedClient.Checker(new Keys(never.Task), new CachingTokenHandler(), TokenClaims.DefaultIssuer);

        var answer = checker.ClientOfAsync($"Bearer {Token(_published)}");

        Assert.True(answer.IsCompleted, "the check waited for Auth's keys");
        Assert.Null(await answer);
    }

    [Fact]
    public async Task while_the_keys_are_being_fetched_tokens_do_not_ask_for_them_again()
    {
        var pending = new TaskCompletionSource<OpenIdConnectConfiguration>();
        var keys = new Keys(pending.Task);
        using var checker = new ValidatedClient.Checker(keys, new CachingTokenHandler(), TokenClaims.DefaultIssuer);

        for (var i = 0; i < 100; i++)
        {
            Assert.Null(await checker.ClientOfAsync($"Bearer {Token(_published)}"));
        }

        Assert.Equal(1, keys.Asked);
    }

    public void Dispose() => _checker.Dispose();
}
