using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Services.Auth.Keys;
using SyncEngine.ServiceDefaults.Problems;
using SyncEngine.Tokens;
using Wolverine.Http;

namespace Services.Auth.Operators;

/// <summary>A token request as it arrived (RFC 6749 §4.4): form members, and the client's Basic credentials if it sent them.</summary>
public sealed record TokenRequest(
    string? GrantType, string? Scope, string? FormClientId, string? FormClientSecret, string? BasicClientId, string? BasicClientSecret,
    bool BasicMalformed = false);

/// <summary>What a token request amounts to.</summary>
public abstract record TokenDecision
{
    private TokenDecision() { }

    /// <summary>Issue an operator token to this client.</summary>
    public sealed record Issue(string ClientId) : TokenDecision;

    /// <summary>
    /// Refused: our problem <paramref name="Code"/> and the OAuth <paramref name="Error"/> (RFC 6749 §5.2), so an
    /// OAuth client library and a SyncEngine client both read the answer.
    /// </summary>
    public sealed record Refuse(int Status, string Code, string Error, string Description) : TokenDecision;
}

/// <summary>RFC 6749 §5.1's member names, which OAuth client libraries read.</summary>
public sealed record OperatorTokenResponse(
    [property: JsonPropertyName("access_token")] string AccessToken,
    [property: JsonPropertyName("token_type")] string TokenType,
    [property: JsonPropertyName("expires_in")] int ExpiresIn,
    [property: JsonPropertyName("scope")] string Scope);

/// <summary>
/// OAuth 2.0 client credentials for operators: <c>POST /connect/token</c> with <c>grant_type=client_credentials</c>,
/// the client's id and secret in the form or as HTTP Basic, and <c>scope=syncengine.admin</c> (the only scope; it is
/// also what an omitted scope means). The token is an ES256 JWT from the current signing key with audience
/// <c>syncengine-admin</c>, valid for <c>Operator:TokenLifetime</c> (5 minutes).
/// </summary>
public static class IssueOperatorToken
{
    public const string ClientCredentials = "client_credentials";

    private static readonly JsonWebTokenHandler Handler = new() { SetDefaultTimesOnTokenCreation = false };

    /// <summary>
    /// Checks in RFC 6749's order: a well-formed request, then who the client is, then what it asks for. A client that
    /// cannot authenticate learns nothing about grants or scopes.
    /// </summary>
    public static TokenDecision Decide(TokenRequest request, OperatorCredentials credentials)
    {
        if (request.BasicMalformed)
        {
            return InvalidRequest("The Basic credentials are malformed.");
        }

        var basic = request.BasicClientId is not null;
        if (basic && request.FormClientSecret is not null)
        {
            return InvalidRequest("Authenticate the client one way only: HTTP Basic or client_secret in the form, not both.");
        }

        if (basic && request.FormClientId is not null && request.FormClientId != request.BasicClientId)
        {
            return InvalidRequest("client_id in the form differs from the Basic credentials.");
        }

        var clientId = request.BasicClientId ?? request.FormClientId;
        var secret = basic ? request.BasicClientSecret : request.FormClientSecret;
        if (string.IsNullOrEmpty(clientId) || string.IsNullOrEmpty(secret) || !credentials.Accepts(clientId, secret))
        {
            return new TokenDecision.Refuse(StatusCodes.Status401Unauthorized, ProblemCodes.Unauthorized, "invalid_client",
                "Unknown client or wrong secret.");
        }

        if (string.IsNullOrEmpty(request.GrantType))
        {
            return InvalidRequest("grant_type is required.");
        }

        if (request.GrantType != ClientCredentials)
        {
            return new TokenDecision.Refuse(StatusCodes.Status400BadRequest, ProblemCodes.InvalidRequest, "unsupported_grant_type",
                $"Only grant_type={ClientCredentials} is supported.");
        }

        if (request.Scope is not null && request.Scope.Trim() != OperatorTokens.Scope)
        {
            return new TokenDecision.Refuse(StatusCodes.Status400BadRequest, ProblemCodes.InvalidRequest, "invalid_scope",
                $"The only scope is {OperatorTokens.Scope}.");
        }

        return new TokenDecision.Issue(clientId);
    }

    [WolverinePost("/connect/token", OperationId = "operatorToken")]
    public static async Task<Results<Ok<OperatorTokenResponse>, ProblemHttpResult>> Post(
        HttpContext context, OperatorCredentials credentials, SigningKeyRing keys, TimeProvider clock, IConfiguration configuration,
        CancellationToken ct)
    {
        // RFC 6749 §5.1: token answers are never cached.
        context.Response.Headers.CacheControl = "no-store";
        context.Response.Headers.Pragma = "no-cache";
        var request = await ReadAsync(context.Request, ct);
        if (request is null)
        {
            return Refused(context, (TokenDecision.Refuse)InvalidRequest(
                "The body must be a form (application/x-www-form-urlencoded) with grant_type, client_id and client_secret."));
        }

        switch (Decide(request, credentials))
        {
            case TokenDecision.Issue issue:
                var lifetime = configuration.GetValue("Operator:TokenLifetime", TimeSpan.FromMinutes(5));
                var token = await IssueAsync(issue.ClientId, clock.GetUtcNow(), lifetime, keys, configuration, ct);
                return TypedResults.Ok(new OperatorTokenResponse(token, "Bearer", (int)lifetime.TotalSeconds, OperatorTokens.Scope));
            case TokenDecision.Refuse refuse:
                return Refused(context, refuse);
            default:
                throw new InvalidOperationException("Unknown token decision.");
        }
    }

    private static async Task<string> IssueAsync(
        string clientId, DateTimeOffset now, TimeSpan lifetime, SigningKeyRing keys, IConfiguration configuration, CancellationToken ct) =>
        Handler.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = configuration["Auth:Issuer"] ?? TokenClaims.DefaultIssuer,
            Audience = OperatorTokens.Audience,
            Claims = new Dictionary<string, object>
            {
                [TokenClaims.Subject] = clientId,
                [TokenClaims.Scope] = OperatorTokens.Scope,
                [TokenClaims.JwtId] = Guid.CreateVersion7().ToString(),
                [TokenClaims.IssuedAt] = now.ToUnixTimeSeconds(),
            },
            Expires = (now + lifetime).UtcDateTime,
            SigningCredentials = await keys.SigningCredentialsAsync(ct),
        });

    /// <summary>The request's members, or null when the body is not a form.</summary>
    private static async Task<TokenRequest?> ReadAsync(HttpRequest request, CancellationToken ct)
    {
        if (!request.HasFormContentType)
        {
            return null;
        }

        IFormCollection form;
        try
        {
            form = await request.ReadFormAsync(ct);
        }
        catch (InvalidDataException)
        {
            return null;
        }

        string? One(string name) => form.TryGetValue(name, out var values) && values.Count == 1 ? values[0] : null;
        var (basicId, basicSecret, malformed) = Basic(request.Headers.Authorization.ToString());
        return new TokenRequest(One("grant_type"), One("scope"), One("client_id"), One("client_secret"), basicId, basicSecret, malformed);
    }

    /// <summary>RFC 6749 §2.3.1: Basic with the id and secret each form-urlencoded before they are joined by ':'.</summary>
    private static (string? Id, string? Secret, bool Malformed) Basic(string authorization)
    {
        if (!AuthenticationHeaderValue.TryParse(authorization, out var header)
            || !header.Scheme.Equals("Basic", StringComparison.OrdinalIgnoreCase))
        {
            return (null, null, false);
        }

        try
        {
            var pair = Encoding.UTF8.GetString(Convert.FromBase64String(header.Parameter ?? ""));
            var colon = pair.IndexOf(':');
            return colon < 0
                ? (null, null, true)
                : (Uri.UnescapeDataString(pair[..colon].Replace('+', ' ')), Uri.UnescapeDataString(pair[(colon + 1)..].Replace('+', ' ')), false);
        }
        catch (FormatException)
        {
            return (null, null, true);
        }
    }

    private static TokenDecision InvalidRequest(string description) =>
        new TokenDecision.Refuse(StatusCodes.Status400BadRequest, ProblemCodes.InvalidRequest, "invalid_request", description);

    private static ProblemHttpResult Refused(HttpContext context, TokenDecision.Refuse refuse)
    {
        if (refuse.Status == StatusCodes.Status401Unauthorized)
        {
            context.Response.Headers.WWWAuthenticate = "Basic realm=\"syncengine\"";
        }

        var problem = Problem.Create(refuse.Status, refuse.Code, refuse.Description);
        problem.Extensions["error"] = refuse.Error;
        problem.Extensions["error_description"] = refuse.Description;
        return Problem.Result(problem);
    }
}
