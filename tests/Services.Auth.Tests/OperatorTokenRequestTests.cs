using Microsoft.Extensions.Configuration;
using Services.Auth.Operators;
using Xunit;

namespace Services.Auth.Tests;

public sealed class OperatorTokenRequestTests
{
    private const string Secret = "s3cret-0123456789";
    private static readonly OperatorCredentials Credentials = new("operator", OperatorCredentials.Hash(Secret));

    private static TokenRequest Form(string? grant = "client_credentials", string? scope = "syncengine.admin",
        string? clientId = "operator", string? secret = Secret) => new(grant, scope, clientId, secret, null, null);

    private static void AssertRefused(TokenDecision decision, int status, string code, string error)
    {
        var refuse = Assert.IsType<TokenDecision.Refuse>(decision);
        Assert.Equal((status, code, error), (refuse.Status, refuse.Code, refuse.Error));
        Assert.False(string.IsNullOrEmpty(refuse.Description));
    }

    [Fact]
    public void the_operator_with_its_secret_gets_a_token() =>
        Assert.Equal(new TokenDecision.Issue("operator"), IssueOperatorToken.Decide(Form(), Credentials));

    [Fact]
    public void an_omitted_scope_means_the_admin_scope() =>
        Assert.IsType<TokenDecision.Issue>(IssueOperatorToken.Decide(Form(scope: null), Credentials));

    [Fact]
    public void basic_credentials_count_like_form_ones() =>
        Assert.IsType<TokenDecision.Issue>(IssueOperatorToken.Decide(
            new TokenRequest("client_credentials", "syncengine.admin", null, null, "operator", Secret), Credentials));

    [Theory]
    [InlineData("operator", "wrong")]
    [InlineData("operator", "")]
    [InlineData("operator", null)]
    [InlineData("someone", Secret)]
    [InlineData(null, Secret)]
    [InlineData("OPERATOR", Secret)]
    public void a_wrong_secret_or_unknown_client_is_invalid_client(string? clientId, string? secret) =>
        AssertRefused(IssueOperatorToken.Decide(Form(clientId: clientId, secret: secret), Credentials), 401, "unauthorized", "invalid_client");

    [Fact]
    public void the_client_is_checked_before_what_it_asks_for() =>
        AssertRefused(IssueOperatorToken.Decide(Form(grant: "password", secret: "wrong"), Credentials), 401, "unauthorized", "invalid_client");

    [Theory]
    [InlineData("password")]
    [InlineData("authorization_code")]
    [InlineData("refresh_token")]
    public void another_grant_is_unsupported(string grant) =>
        AssertRefused(IssueOperatorToken.Decide(Form(grant: grant), Credentials), 400, "invalid-request", "unsupported_grant_type");

    [Fact]
    public void a_missing_grant_is_an_invalid_request() =>
        AssertRefused(IssueOperatorToken.Decide(Form(grant: null), Credentials), 400, "invalid-request", "invalid_request");

    [Theory]
    [InlineData("openid")]
    [InlineData("syncengine.admin openid")]
    [InlineData("")]
    public void another_scope_is_invalid_scope(string scope) =>
        AssertRefused(IssueOperatorToken.Decide(Form(scope: scope), Credentials), 400, "invalid-request", "invalid_scope");

    [Fact]
    public void credentials_both_in_basic_and_in_the_form_are_an_invalid_request() =>
        AssertRefused(IssueOperatorToken.Decide(
            new TokenRequest("client_credentials", null, "operator", Secret, "operator", Secret), Credentials), 400, "invalid-request", "invalid_request");

    [Fact]
    public void malformed_basic_credentials_are_an_invalid_request() =>
        AssertRefused(IssueOperatorToken.Decide(new TokenRequest("client_credentials", null, null, null, null, null, BasicMalformed: true), Credentials),
            400, "invalid-request", "invalid_request");

    [Fact]
    public void without_a_configured_secret_nobody_gets_a_token() =>
        AssertRefused(IssueOperatorToken.Decide(Form(), new OperatorCredentials("operator", null)), 401, "unauthorized", "invalid_client");

    [Fact]
    public void the_secret_hash_or_the_secret_itself_configures_the_operator()
    {
        var fromHash = OperatorCredentials.FromConfiguration(Configuration(("Operator:SecretHash", Convert.ToHexString(OperatorCredentials.Hash(Secret)))));
        var fromSecret = OperatorCredentials.FromConfiguration(Configuration(("Operator:Secret", Secret), ("Operator:ClientId", "ops")));

        Assert.True(fromHash.Accepts("operator", Secret));
        Assert.True(fromSecret.Accepts("ops", Secret));
        Assert.False(fromSecret.Accepts("operator", Secret));
        Assert.False(OperatorCredentials.FromConfiguration(Configuration()).Configured);
        Assert.Throws<InvalidOperationException>(() => OperatorCredentials.FromConfiguration(Configuration(("Operator:SecretHash", "abcd"))));
    }

    private static IConfiguration Configuration(params (string Key, string Value)[] values) =>
        new ConfigurationBuilder().AddInMemoryCollection(values.Select(v => new KeyValuePair<string, string?>(v.Key, v.Value))).Build();
}
