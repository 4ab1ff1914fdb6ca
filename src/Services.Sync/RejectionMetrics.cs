using SyncEngine.ServiceDefaults.Problems;

namespace Services.Sync;

/// <summary>
/// Counts every refused request by its problem code — the route's own (outdated-version, payload-too-large...) or,
/// for refusals made before a route runs (401, 403, 400 on a malformed id), the code of its status.
/// </summary>
public static class RejectionMetrics
{
    public const string CodeItem = "syncengine.problem-code";

    public static IApplicationBuilder UseRejectionMetrics(this IApplicationBuilder app) =>
        app.Use(async (context, next) =>
        {
            await next(context);
            var status = context.Response.StatusCode;
            if (status >= 400 && !context.Request.Path.StartsWithSegments("/health") && !context.Request.Path.StartsWithSegments("/alive"))
            {
                var code = context.Items[CodeItem] as string ?? Problem.CodeOf(status);
                var apps = context.RequestServices.GetRequiredService<SyncEngine.Backend.Apps.AppDirectory>();
                var app = SyncEngine.Tokens.TokenHolder.From(context.User)?.AppId ?? (apps.DefaultAppId.Length > 0 ? apps.DefaultAppId : null);
                context.RequestServices.GetRequiredService<SyncMetrics>().Rejected(code, app);
            }
        });
}
