using System.Net;
using Duende.IdentityModel.Client;
using SyncEngine.Testing;
using Xunit;

namespace SyncEngine.EndToEnd.Tests;

/// <summary>Operators get their tokens from Auth's /connect/token through the gateway (OAuth 2.0 client credentials).</summary>
[Collection(SyncEngineCollection.Name)]
public sealed class OperatorTokenTests(SyncEngineApp app)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private string TokenAddress => new Uri(app.Gateway.BaseAddress!, "/connect/token").ToString();

    [Theory]
    [InlineData(ClientCredentialStyle.AuthorizationHeader)]
    [InlineData(ClientCredentialStyle.PostBody)]
    public async Task an_oauth_client_library_gets_an_operator_token_that_opens_the_admin_routes(ClientCredentialStyle style)
    {
        var response = await app.Gateway.RequestClientCredentialsTokenAsync(new ClientCredentialsTokenRequest
        {
            Address = TokenAddress,
            ClientId = SyncEngineApp.OperatorClientId,
            ClientSecret = app.OperatorSecret,
            ClientCredentialStyle = style,
            Scope = "syncengine.admin",
        }, Ct);

        Assert.False(response.IsError, $"{response.Error}: {response.ErrorDescription} {response.Raw}");
        Assert.Equal("Bearer", response.TokenType);
        Assert.Equal(300, response.ExpiresIn);
        Assert.Equal("syncengine.admin", response.Scope);
        AssertOperatorToken(response.AccessToken!);

        using var apps = await app.Gateway.SendAsync(HttpMethod.Get, "/admin/apps", response.AccessToken, Ct);
        Assert.Equal(HttpStatusCode.OK, apps.StatusCode);
    }

    [Fact]
    public async Task a_plain_form_post_gets_an_uncached_token()
    {
        using var response = await PostFormAsync(Form());

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("no-store", response.Headers.CacheControl?.ToString());
        var body = await response.Json();
        Assert.Equal("Bearer", body.GetProperty("token_type").GetString());
        Assert.Equal(300, body.GetProperty("expires_in").GetInt32());
        AssertOperatorToken(body.GetProperty("access_token").GetString()!);
    }

    public static TheoryData<string, HttpStatusCode, string, string> Refusals => new()
    {
        { "wrong secret", HttpStatusCode.Unauthorized, "unauthorized", "invalid_client" },
        { "unknown client", HttpStatusCode.Unauthorized, "unauthorized", "invalid_client" },
        { "no secret", HttpStatusCode.Unauthorized, "unauthorized", "invalid_client" },
        { "other grant", HttpStatusCode.BadRequest, "invalid-request", "unsupported_grant_type" },
        { "other scope", HttpStatusCode.BadRequest, "invalid-request", "invalid_scope" },
        { "no body", HttpStatusCode.BadRequest, "invalid-request", "invalid_request" },
        { "json body", HttpStatusCode.BadRequest, "invalid-request", "invalid_request" },
    };

    [Theory]
    [MemberData(nameof(Refusals))]
    public async Task a_bad_token_request_is_a_problem_with_the_oauth_error_and_issues_nothing(
        string kind, HttpStatusCode status, string code, string error)
    {
        using var response = kind switch
        {
            "wrong secret" => await PostFormAsync(Form(secret: "not-the-secret")),
            "unknown client" => await PostFormAsync(Form(clientId: "intruder")),
            "no secret" => await PostFormAsync(Form(secret: null)),
            "other grant" => await PostFormAsync(Form(grant: "password")),
            "other scope" => await PostFormAsync(Form(scope: "syncengine.admin openid")),
            "no body" => await app.Gateway.SendAsync(HttpMethod.Post, "/connect/token", null, Ct),
            "json body" => await app.Gateway.SendJsonAsync(HttpMethod.Post, "/connect/token", null,
                new { grant_type = "client_credentials", client_id = SyncEngineApp.OperatorClientId, client_secret = app.OperatorSecret }, Ct),
            _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
        };

        var problem = await Problems.AssertProblem(response, status, code);
        Assert.Equal(error, problem.GetProperty("error").GetString());
        Assert.False(string.IsNullOrEmpty(problem.GetProperty("error_description").GetString()));
        Assert.False(problem.TryGetProperty("access_token", out _), kind);
    }

    [Fact]
    public async Task an_oauth_client_library_reads_a_refusal_as_an_oauth_error()
    {
        var wrongScope = await app.Gateway.RequestClientCredentialsTokenAsync(new ClientCredentialsTokenRequest
        {
            Address = TokenAddress,
            ClientId = SyncEngineApp.OperatorClientId,
            ClientSecret = app.OperatorSecret,
            Scope = "openid",
        }, Ct);
        var wrongSecret = await app.Gateway.RequestClientCredentialsTokenAsync(new ClientCredentialsTokenRequest
        {
            Address = TokenAddress,
            ClientId = SyncEngineApp.OperatorClientId,
            ClientSecret = "not-the-secret",
            Scope = "syncengine.admin",
        }, Ct);

        Assert.True(wrongScope.IsError);
        Assert.Equal(ResponseErrorType.Protocol, wrongScope.ErrorType);
        Assert.Equal("invalid_scope", wrongScope.Error);
        Assert.Null(wrongScope.AccessToken);
        // A 401 is an HTTP error to the library (Error is the reason phrase); the OAuth error is still in the body.
        Assert.True(wrongSecret.IsError);
        Assert.Equal(HttpStatusCode.Unauthorized, wrongSecret.HttpStatusCode);
        Assert.Equal("invalid_client", wrongSecret.Json?.GetProperty("error").GetString());
        Assert.Null(wrongSecret.AccessToken);
    }

    private static void AssertOperatorToken(string token)
    {
        var header = Jwt.Header(token);
        Assert.Equal("ES256", header.GetProperty("alg").GetString());
        var claims = Jwt.Payload(token);
        Assert.Equal("syncengine-admin", claims.GetProperty("aud").GetString());
        Assert.Equal("syncengine.admin", claims.GetProperty("scope").GetString());
        Assert.Equal(SyncEngineApp.OperatorClientId, claims.GetProperty("sub").GetString());
        Assert.Equal("syncengine", claims.GetProperty("iss").GetString());
        Assert.True(Guid.TryParse(claims.GetProperty("jti").GetString(), out _));
        Assert.Equal(300, claims.GetProperty("exp").GetInt64() - claims.GetProperty("iat").GetInt64());
        Assert.False(claims.TryGetProperty("wid", out _));
    }

    private Dictionary<string, string> Form(
        string? grant = "client_credentials", string? clientId = SyncEngineApp.OperatorClientId, string? secret = "", string? scope = "syncengine.admin")
    {
        var form = new Dictionary<string, string>();
        void Add(string name, string? value)
        {
            if (value is not null)
            {
                form[name] = value;
            }
        }

        Add("grant_type", grant);
        Add("client_id", clientId);
        Add("client_secret", secret == "" ? app.OperatorSecret : secret);
        Add("scope", scope);
        return form;
    }

    private Task<HttpResponseMessage> PostFormAsync(Dictionary<string, string> form) =>
        app.Gateway.SendAsync(HttpMethod.Post, "/connect/token", null, Ct, new FormUrlEncodedContent(form));
}
