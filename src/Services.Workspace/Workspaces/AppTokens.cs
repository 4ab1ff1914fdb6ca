using System.Collections.Concurrent;
using Duende.IdentityModel.Client;
using Microsoft.AspNetCore.Mvc;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using SyncEngine.Contracts.Apps;
using SyncEngine.ServiceDefaults.Problems;

namespace Services.Workspace.Workspaces;

/// <summary>
/// An <c>app-token</c> app's claims carry a JWT of the app's own identity provider (docs/design.md, "Apps on one
/// backend"): checked against the app's <c>issuer</c> through its OIDC discovery document and JWKS (Duende
/// IdentityModel's DiscoveryCache, one per issuer, refetched once when a token names a key it does not hold, so the
/// provider's key rotation needs no step here), its <c>audience</c>, its lifetime, an asymmetric signature (none and
/// HS* are refused: a shared secret would let anyone who knows it mint owners), and a <c>sub</c>, which becomes the
/// workspace's <c>ownerSubject</c>.
/// </summary>
public sealed class AppTokens(IHttpClientFactory httpClients, ILogger<AppTokens> logger)
{
    public const string HttpClientName = "app-issuers";

    /// <summary>Asymmetric algorithms only.</summary>
    public static readonly string[] Algorithms =
    [
        SecurityAlgorithms.EcdsaSha256, SecurityAlgorithms.EcdsaSha384, SecurityAlgorithms.EcdsaSha512,
        SecurityAlgorithms.RsaSha256, SecurityAlgorithms.RsaSha384, SecurityAlgorithms.RsaSha512,
        SecurityAlgorithms.RsaSsaPssSha256, SecurityAlgorithms.RsaSsaPssSha384, SecurityAlgorithms.RsaSsaPssSha512,
    ];

    private static readonly JsonWebTokenHandler Handler = new() { MapInboundClaims = false };
    private readonly ConcurrentDictionary<string, DiscoveryCache> _issuers = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, DateTimeOffset> _refreshedAt = new(StringComparer.Ordinal);

    /// <summary>Tokens naming unknown keys refetch an issuer's keys at most this often: forged kids cannot flood it.</summary>
    public static readonly TimeSpan RefreshAtMostEvery = TimeSpan.FromSeconds(10);

    /// <summary>The owner's subject, or the problem to answer (401; 503 when the issuer cannot be reached).</summary>
    public async Task<(string? Subject, ProblemDetails? Refused)> ValidateAsync(AppSettings app, string? authorization, CancellationToken ct)
    {
        if (authorization is null || !authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)
            || authorization["Bearer ".Length..].Trim() is not { Length: > 0 } token)
        {
            return (null, Unauthorized(
                $"The app '{app.AppId}' takes claims only with a token of its own sign-in: Authorization: Bearer <a JWT from {app.Issuer}>."));
        }

        var discovery = _issuers.GetOrAdd(app.Issuer!, issuer => new DiscoveryCache(issuer, () => httpClients.CreateClient(HttpClientName),
            new DiscoveryPolicy { ValidateEndpoints = false }));
        var result = await ValidateWithAsync(discovery, app, token);
        if (result is { IsValid: false, Exception: SecurityTokenSignatureKeyNotFoundException } && MayRefresh(app.Issuer!))
        {
            // A key the provider added since the keys were fetched: fetch them again, once.
            discovery.Refresh();
            result = await ValidateWithAsync(discovery, app, token);
        }

        if (result is null)
        {
            return (null, Problem.Create(StatusCodes.Status503ServiceUnavailable, ProblemCodes.Unavailable,
                $"The app's issuer {app.Issuer} did not give its keys; retry the claim later with the same Idempotency-Key."));
        }

        if (!result.IsValid)
        {
            return (null, Unauthorized($"The app's token was refused: {Why(result.Exception)}"));
        }

        return result.ClaimsIdentity.FindFirst("sub")?.Value is { Length: > 0 } subject
            ? (subject, null)
            : (null, Unauthorized("The app's token has no sub: whose workspace it is cannot be recorded."));
    }

    private bool MayRefresh(string issuer)
    {
        var now = DateTimeOffset.UtcNow;
        var last = _refreshedAt.GetOrAdd(issuer, DateTimeOffset.MinValue);
        return now - last >= RefreshAtMostEvery && _refreshedAt.TryUpdate(issuer, now, last);
    }

    /// <summary>Null when the issuer's discovery document or keys could not be had.</summary>
    private async Task<TokenValidationResult?> ValidateWithAsync(DiscoveryCache discovery, AppSettings app, string token)
    {
        var document = await discovery.GetAsync();
        if (document.IsError || document.KeySet?.RawData is not { } keys)
        {
            logger.LogWarning("No discovery document or keys from {Issuer}: {Error}", app.Issuer, document.Error);
            discovery.Refresh();
            return null;
        }

        return await Handler.ValidateTokenAsync(token, new TokenValidationParameters
        {
            ValidIssuer = app.Issuer,
            ValidAudience = app.Audience,
            IssuerSigningKeys = new JsonWebKeySet(keys).GetSigningKeys(),
            ValidAlgorithms = Algorithms,
            RequireSignedTokens = true,
            RequireExpirationTime = true,
            ClockSkew = TimeSpan.FromSeconds(30),
        });
    }

    private static string Why(Exception? failure) => failure switch
    {
        SecurityTokenExpiredException => "it has expired.",
        SecurityTokenInvalidAudienceException => "its audience is not the app's.",
        SecurityTokenInvalidIssuerException => "its issuer is not the app's.",
        SecurityTokenInvalidAlgorithmException => "it is not signed with an asymmetric algorithm (ES*, RS*, PS*).",
        SecurityTokenSignatureKeyNotFoundException or SecurityTokenInvalidSignatureException => "its signature is not the issuer's.",
        SecurityTokenNoExpirationException => "it has no expiry.",
        SecurityTokenMalformedException => "it is not a JWT.",
        _ => "it is not valid.",
    };

    private static ProblemDetails Unauthorized(string detail) =>
        Problem.Create(StatusCodes.Status401Unauthorized, ProblemCodes.Unauthorized, detail);
}
