using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using SyncEngine.ServiceDefaults.Problems;
using SyncEngine.Tokens;

namespace SyncEngine.Backend.Security;

/// <summary>
/// The admin routes' own JwtBearer scheme: operator tokens only (audience <c>syncengine-admin</c>, scope
/// <c>syncengine.admin</c>), checked against the same Auth keys as workspace tokens. Workspace routes keep the default
/// scheme, whose audience an operator token lacks, and admin routes name this scheme alone, so each kind of token is
/// 401 on the other's routes. Call after <see cref="TokenValidation.AddSyncEngineAuthentication"/>.
/// </summary>
public static class OperatorAuthentication
{
    public const string Scheme = "operator";
    public const string Policy = "operator";

    public static IHostApplicationBuilder AddOperatorAuthentication(this IHostApplicationBuilder builder)
    {
        var issuer = builder.Configuration["Auth:Issuer"] ?? TokenClaims.DefaultIssuer;
        builder.Services.AddAuthentication().AddJwtBearer(Scheme);
        builder.Services.AddOptions<JwtBearerOptions>(Scheme)
            // The monitor is resolved when these options are built, not injected: it is built from these very
            // configure actions, so asking for it as a dependency recursed in DI and hung every request.
            .Configure<IServiceProvider>((options, services) =>
            {
                var schemes = services.GetRequiredService<IOptionsMonitor<JwtBearerOptions>>();
                options.MapInboundClaims = false;
                options.RequireHttpsMetadata = false;
                // The workspace scheme's keys: one fetch and refresh of Auth's JWKS serves both.
                options.ConfigurationManager = schemes.Get(JwtBearerDefaults.AuthenticationScheme).ConfigurationManager;
                options.TokenValidationParameters = OperatorTokens.Parameters(issuer);
                // A plain handler, not the shared CachingTokenHandler: that one remembers a token string as valid
                // whatever audience it was checked for, so a workspace token validated on a workspace route would
                // then pass here (and an operator token there).
                options.TokenHandlers.Clear();
                options.TokenHandlers.Add(new JsonWebTokenHandler());
                options.Events = new JwtBearerEvents
                {
                    OnChallenge = TokenValidation.WriteUnauthorized,
                    OnForbidden = context =>
                    {
                        context.Response.StatusCode = StatusCodes.Status403Forbidden;
                        return Results.Problem(Problem.Create(StatusCodes.Status403Forbidden, ProblemCodes.Forbidden,
                            $"This operator token lacks the scope {OperatorTokens.Scope}.")).ExecuteAsync(context.HttpContext);
                    },
                };
            });
        builder.Services.AddAuthorization(options => options.AddPolicy(Policy, policy => policy
            .AddAuthenticationSchemes(Scheme)
            .RequireAuthenticatedUser()
            .RequireClaim(TokenClaims.Scope, OperatorTokens.Scope)));
        return builder;
    }
}
