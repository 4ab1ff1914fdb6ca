using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using SyncEngine.Backend.Security;
using SyncEngine.Contracts.Apps;
using SyncEngine.ServiceDefaults.Problems;
using SyncEngine.Tokens;

namespace SyncEngine.Backend.Apps;

/// <summary>
/// Every route of a workspace checks its app, after the token and before the route's own checks (docs/protocol.md,
/// "Which error wins"): the token's <c>app</c> claim names it (none: the default app). A suspended app is 403
/// <c>app-suspended</c>; an app this deployment does not know is 404 <c>app-not-found</c>. The directory is in memory
/// and follows every change within 1 s, so this costs a dictionary read.
/// </summary>
public static class AppEnforcement
{
    public static WebApplication UseAppEnforcement(this WebApplication app)
    {
        app.Use(async (context, next) =>
        {
            if (context.GetRouteValue(AccessPolicies.RouteParameter) is string
                && TokenHolder.From(context.User) is { } holder
                && context.RequestServices.GetService<AppDirectory>() is { } directory
                && Refuse(holder.AppId, directory) is { } problem)
            {
                await Results.Problem(problem).ExecuteAsync(context);
                return;
            }

            await next(context);
        });
        return app;
    }

    /// <summary>Why a token of <paramref name="appClaim"/> is refused now, or null when its app lets it through.</summary>
    public static Microsoft.AspNetCore.Mvc.ProblemDetails? Refuse(string? appClaim, AppDirectory directory) =>
        directory.Find(appClaim) switch
        {
            // A token without an app claim where the deployment names no (known) default app: nothing to enforce.
            null when appClaim is null => null,
            null => Problem.Create(StatusCodes.Status404NotFound, ProblemCodes.AppNotFound, $"There is no app '{appClaim}'."),
            { Settings.Suspended: true } suspended => Suspended(suspended.Settings),
            _ => null,
        };

    public static Microsoft.AspNetCore.Mvc.ProblemDetails Suspended(AppSettings app) =>
        Problem.Create(StatusCodes.Status403Forbidden, ProblemCodes.AppSuspended,
            $"The app '{app.AppId}' is suspended by the deployment's operators; nothing is lost, and it syncs again once resumed.");
}
