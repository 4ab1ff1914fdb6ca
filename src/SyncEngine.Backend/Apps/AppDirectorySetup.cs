using Marten;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace SyncEngine.Backend.Apps;

public static class AppDirectorySetup
{
    /// <summary>
    /// This replica's <see cref="AppDirectory"/> (default app from <c>Apps:Default</c>), kept current by
    /// <see cref="AppDirectoryRefresh"/>. Without <paramref name="source"/> it reads the <see cref="KnownApp"/>
    /// documents that <see cref="AppSettingsChangedHandler"/> keeps.
    /// </summary>
    public static IHostApplicationBuilder AddAppDirectory(this IHostApplicationBuilder builder, AppSource? source = null)
    {
        if (source is null)
        {
            // Created with the rest of the schema at start (MessagingDefaults.AddServiceStore says why).
            builder.Services.ConfigureMarten(options => options.RegisterDocumentType<KnownApp>());
        }

        var refreshEvery = builder.Configuration.GetValue("Apps:RefreshEvery", TimeSpan.FromSeconds(5));
        builder.Services.AddSingleton(new AppDirectory(builder.Configuration["Apps:Default"] ?? ""));
        builder.Services.AddHostedService(services => new AppDirectoryRefresh(
            services.GetRequiredService<AppDirectory>(),
            services.GetRequiredService<IDocumentStore>(),
            services.GetRequiredService<NpgsqlDataSource>(),
            source ?? KnownApps,
            refreshEvery,
            services.GetRequiredService<ILogger<AppDirectoryRefresh>>()));
        return builder;
    }

    /// <summary>
    /// What this replica's directory holds for one app, on the service's own port (not routed by the gateway, like
    /// /health): how a test or an operator on the host sees that a change reached every replica.
    /// </summary>
    public static IEndpointRouteBuilder MapAppDirectory(this IEndpointRouteBuilder app)
    {
        app.MapGet("/internal/apps/{appId}", (string appId, AppDirectory directory) =>
            directory.Find(appId) is { } known
                ? Results.Ok(new { known.Settings, known.Version, known.ChangedAt, directory.DefaultAppId })
                : Results.NotFound())
            .ExcludeFromDescription();
        // Every app's allowed origins, for the gateway's CORS (Gateway/AppOrigins.cs), which asks every second: an ETag
        // of the list answers an unchanged one with 304.
        app.MapGet(OriginsPath, (HttpContext http, AppDirectory directory) =>
            {
                var origins = directory.All.OrderBy(known => known.Id, StringComparer.Ordinal)
                    .Select(known => new AppOrigins(known.Id, known.Settings.AllowedOrigins))
                    .ToList();
                var etag = $"\"{Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(
                    System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(origins)))[..32]}\"";
                http.Response.Headers.ETag = etag;
                return http.Request.Headers.IfNoneMatch == etag ? Results.StatusCode(StatusCodes.Status304NotModified) : Results.Ok(origins);
            })
            .ExcludeFromDescription();
        return app;
    }

    /// <summary>Where each service lists every app's allowed origins, on its own port.</summary>
    public const string OriginsPath = "/internal/apps/origins";

    /// <summary>One app's <c>allowedOrigins</c>, as <see cref="OriginsPath"/> lists them.</summary>
    public sealed record AppOrigins(string AppId, IReadOnlyList<string> AllowedOrigins);

    private static async Task<IReadOnlyList<KnownApp>> KnownApps(IQuerySession session, CancellationToken ct) =>
        await session.Query<KnownApp>().ToListAsync(ct);
}
