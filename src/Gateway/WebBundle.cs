using Microsoft.AspNetCore.StaticFiles;
using Microsoft.Extensions.FileProviders;
using Microsoft.Net.Http.Headers;
using Yarp.ReverseProxy.Configuration;

namespace Gateway;

/// <summary>
/// In production the gateway serves the web client's built bundle itself (<c>Gateway:WebRoot</c>, the folder holding
/// <c>index.html</c>; relative to the content root, which in the published gateway holds it as <c>web/</c>), so no
/// dev server and no web container run. Unset (development), <c>/</c> is proxied to the web resource as before.
/// Paths without a file extension that no API route claims get <c>index.html</c>: the demo routes in the browser; those
/// under a folder of the bundle with its own <c>index.html</c> (a second app, <c>tasks/</c>) get that one.
/// </summary>
public static class WebBundle
{
    public const string Setting = "Gateway:WebRoot";

    /// <summary>Vite writes every hashed file under <c>assets/</c>; a new build gives them new names.</summary>
    private const string HashedAssets = "/assets/";

    /// <summary>The bundle's folder, or null when <see cref="Setting"/> is unset; a folder without index.html stops the gateway at start.</summary>
    public static string? Root(IConfiguration configuration, IHostEnvironment environment)
    {
        if (configuration[Setting] is not { Length: > 0 } configured)
        {
            return null;
        }

        var root = Path.GetFullPath(configuration[Setting]!, environment.ContentRootPath);
        return File.Exists(Path.Combine(root, "index.html"))
            ? root
            : throw new InvalidOperationException(
                $"{Setting} is '{configured}' ({root}), which holds no index.html. Build the web client (npm run build in " +
                "src/Client.Web) before publishing the gateway, or point the setting at a folder holding the bundle.");
    }

    /// <summary>Without a bundle to serve, every route; with one, all but the web client's proxy route.</summary>
    public static IReadOnlyList<RouteConfig> Routes(string? root) =>
        root is null ? GatewayRoutes.Routes : [.. GatewayRoutes.Routes.Where(r => r.ClusterId != GatewayRoutes.Web)];

    public static IReadOnlyList<ClusterConfig> Clusters(string? root) =>
        root is null ? GatewayRoutes.Clusters : [.. GatewayRoutes.Clusters.Where(c => c.ClusterId != GatewayRoutes.Web)];

    public static WebApplication MapWebBundle(this WebApplication app, string? root)
    {
        if (root is null)
        {
            return app;
        }

        var files = new StaticFileOptions { FileProvider = new PhysicalFileProvider(root), OnPrepareResponse = Cache };
        app.UseStaticFiles(files);
        // "{*path:nonfile}": a missing /assets/x.js stays a 404 instead of becoming the page.
        app.MapFallbackToFile("index.html", files);
        // A second app of the bundle in a folder of its own (tasks/index.html: the task lists at /tasks/) gets its page
        // for its own paths; a literal first segment outranks the catch-all above.
        foreach (var page in Directory.EnumerateDirectories(root).Where(d => File.Exists(Path.Combine(d, "index.html"))))
        {
            var folder = Path.GetFileName(page);
            app.MapFallbackToFile($"{folder}/{{*path:nonfile}}", $"{folder}/index.html", files);
        }

        return app;
    }

    private static void Cache(StaticFileResponseContext context)
    {
        var path = context.Context.Request.Path;
        // A hashed asset never changes under its name; anything else (index.html above all) must be revalidated, or a
        // browser keeps an index that names assets a new deployment no longer has.
        context.Context.Response.Headers[HeaderNames.CacheControl] =
            path.StartsWithSegments(HashedAssets.TrimEnd('/'), StringComparison.Ordinal) && path.Value!.Length > HashedAssets.Length
                ? "public, max-age=31536000, immutable"
                : "no-cache";
    }
}
