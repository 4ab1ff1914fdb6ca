using Marten;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.IdentityModel.Protocols;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Microsoft.IdentityModel.Tokens;
using SyncEngine.Backend.Apps;
using SyncEngine.ServiceDefaults.Problems;
using SyncEngine.Tokens;

namespace SyncEngine.Backend.Security;

/// <summary>
/// Every service validates tokens itself, from Auth's published keys: ES256 only (so alg=none and HS256 forgeries
/// fail), issuer, audience and lifetime checked, claims well-formed, and neither the token (by its jti) nor the
/// (workspace, client) pair at its iat revoked in the service's own store. Failures are 401/403 problem+json.
/// </summary>
public static class TokenValidation
{
    public static IHostApplicationBuilder AddSyncEngineAuthentication(
        this IHostApplicationBuilder builder, Func<IServiceProvider, IConfigurationManager<OpenIdConnectConfiguration>>? keys = null)
    {
        var issuer = builder.Configuration["Auth:Issuer"] ?? TokenClaims.DefaultIssuer;
        var keyRefreshEvery = builder.Configuration.GetValue("Security:KeyRefreshEvery", TimeSpan.FromMinutes(10));
        builder.Services.AddHttpClientWithoutResilience(AuthKeys.HttpClientName);
        builder.Services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme).AddJwtBearer();
        builder.Services.AddOptions<JwtBearerOptions>(JwtBearerDefaults.AuthenticationScheme)
            .Configure<IServiceProvider>((options, services) =>
            {
                options.MapInboundClaims = false;
                options.RequireHttpsMetadata = false;
                options.ConfigurationManager = keys?.Invoke(services) ?? AuthKeys.Remote(services, issuer, keyRefreshEvery);
                options.TokenValidationParameters = TokenParameters.For(issuer);
                options.TokenHandlers.Clear();
                options.TokenHandlers.Add(services.GetRequiredService<CachingTokenHandler>());
                options.Events = new JwtBearerEvents
                {
                    OnTokenValidated = RejectMalformedOrRevoked,
                    OnChallenge = WriteUnauthorized,
                    OnForbidden = WriteForbidden,
                };
            });
        var revocationCacheLifetime = builder.Configuration.GetValue("Security:RevocationCacheLifetime", TimeSpan.FromMilliseconds(250));
        builder.Services.AddSingleton(_ => new RevocationCache(revocationCacheLifetime));
        builder.Services.AddSingleton(services => new CachingTokenHandler(services.GetService<TimeProvider>()));
        builder.Services.AddSingleton<IAuthorizationHandler, WorkspaceAccessHandler>();
        builder.Services.AddAuthorization(options => options.AddWorkspacePolicies());
        return builder;
    }

    /// <summary>
    /// Route ids are checked before any token: a malformed workspace id is 400, and an erased workspace's id 410
    /// <c>workspace-deleted</c>, whoever asks (the id is a random UUID; that it existed is all a caller learns).
    /// </summary>
    public static WebApplication UseSyncEngineAuthentication(this WebApplication app)
    {
        app.Use(async (context, next) =>
        {
            if (context.GetRouteValue(AccessPolicies.RouteParameter) is string id)
            {
                if (!Guid.TryParse(id, out var workspaceId))
                {
                    await Results.Problem(Problem.InvalidRequest($"'{id}' is not a workspace id (a UUID).")).ExecuteAsync(context);
                    return;
                }

                if (await context.RequestServices.GetRequiredService<ErasedWorkspaces>()
                        .IsErasedAsync(context.RequestServices, workspaceId, context.RequestAborted))
                {
                    await Erasure.Gone(workspaceId).ExecuteAsync(context);
                    return;
                }
            }

            await next(context);
        });
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseAppEnforcement();
        return app;
    }

    private static async Task RejectMalformedOrRevoked(TokenValidatedContext context)
    {
        if (context.Principal is null || TokenHolder.From(context.Principal) is not { } holder
            || !long.TryParse(context.Principal.FindFirst(TokenClaims.IssuedAt)?.Value, out var iat))
        {
            context.Fail("The token lacks SyncEngine's claims.");
            return;
        }

        var services = context.HttpContext.RequestServices;
        if (await services.GetRequiredService<RevocationCache>()
                .RefusesAsync(services, holder, DateTimeOffset.FromUnixTimeSeconds(iat), context.HttpContext.RequestAborted))
        {
            context.Fail("The token has been revoked.");
        }
    }

    internal static async Task WriteUnauthorized(JwtBearerChallengeContext context)
    {
        context.HandleResponse();
        var detail = Describe(context.AuthenticateFailure);
        context.Response.StatusCode = StatusCodes.Status401Unauthorized;
        context.Response.Headers.WWWAuthenticate = "Bearer";
        await Results.Problem(Unauthorized(detail)).ExecuteAsync(context.HttpContext);
    }

    public static Microsoft.AspNetCore.Mvc.ProblemDetails Unauthorized(string detail) =>
        Problem.Create(StatusCodes.Status401Unauthorized, ProblemCodes.Unauthorized, detail);

    /// <summary>Why a token was refused, in the words of the 401's detail.</summary>
    public static string Describe(Exception? refusal) =>
        refusal switch
        {
            null => "A bearer token is required.",
            SecurityTokenExpiredException => "The token has expired.",
            SecurityTokenInvalidSignatureException or SecurityTokenSignatureKeyNotFoundException => "The token's signature is not valid.",
            SecurityTokenInvalidAlgorithmException => "The token is not signed with ES256.",
            AuthenticationFailureException failure => failure.Message,
            _ => "The token is not valid.",
        };

    private static Task WriteForbidden(ForbiddenContext context)
    {
        context.Response.StatusCode = StatusCodes.Status403Forbidden;
        return Results.Problem(Forbidden("This token does not allow that on this workspace (another workspace, read-only, or not the owner)."))
            .ExecuteAsync(context.HttpContext);
    }

    public static Microsoft.AspNetCore.Mvc.ProblemDetails Forbidden(string detail) =>
        Problem.Create(StatusCodes.Status403Forbidden, ProblemCodes.Forbidden, detail);
}
