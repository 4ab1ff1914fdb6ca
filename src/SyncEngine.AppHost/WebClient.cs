using System.Globalization;

namespace SyncEngine.AppHost;

/// <summary>
/// The browser client (src/Client.Web); the gateway fronts it at /. By default Vite's dev server (hot reload);
/// `WebClient:Script=serve` builds it and serves the production bundle instead, which the browser tests use: the dev
/// server's first visits optimise dependencies and may reload a page under a test's feet.
/// </summary>
public static class WebClient
{
    public static IResourceBuilder<ExecutableResource> AddWebClient(this IDistributedApplicationBuilder builder, string name)
    {
        var directory = Path.GetFullPath(Path.Combine(builder.AppHostDirectory, "..", "Client.Web"));
        if (!Postgres.ProcessRunner.OnPath("npm"))
        {
            throw new Postgres.PrerequisiteMissingException("The web client needs Node.js 20+ with npm on PATH (https://nodejs.org or `apt-get install nodejs npm`).");
        }

        if (!Directory.Exists(Path.Combine(directory, "node_modules")))
        {
            Console.WriteLine($"[web] installing the web client's packages (npm ci in {directory}, once)...");
            var install = Postgres.ProcessRunner.Run("npm", ["ci", "--no-audit", "--no-fund", "--fetch-timeout=30000", "--fetch-retries=1"], TimeSpan.FromMinutes(5), directory);
            if (!install.Succeeded)
            {
                throw new Postgres.PrerequisiteMissingException($"npm ci failed in {directory}: {install.Output}");
            }
        }

        var script = builder.Configuration["WebClient:Script"] is { Length: > 0 } configured ? configured : "dev";
        var web = builder.AddExecutable(name, "npm", directory, "run", script)
            .WithHttpEndpoint(env: "PORT")
            // Healthy once it serves the page (serve builds the bundle first), so "ready" means the page loads.
            .WithHttpHealthCheck("/")
            .WithEnvironment("BROWSER", "none");
        if (script == "serve")
        {
            // Each AppHost builds and serves a bundle of its own. In dist/ another AppHost's build (the end-to-end
            // tests start two apps side by side) emptied the folder this one served from: a page load then got 404.
            web.WithEnvironment(BundleDirectoryVariable, ServeBundleDirectory(Path.Combine(Path.GetTempPath(), "syncengine-web")));
        }

        return web;
    }

    /// <summary>Read by vite.config.ts as build.outDir, which `vite preview` serves too.</summary>
    public const string BundleDirectoryVariable = "SYNCENGINE_WEB_OUT_DIR";

    /// <summary>
    /// A folder of this AppHost's own under <paramref name="parent"/>, named after its process and unique within it (the
    /// end-to-end tests build two apps in one process); those of processes that have ended are removed.
    /// </summary>
    public static string ServeBundleDirectory(string parent)
    {
        if (Directory.Exists(parent))
        {
            foreach (var stale in Directory.EnumerateDirectories(parent).Where(d => HasEnded(Path.GetFileName(d))))
            {
                try
                {
                    Directory.Delete(stale, recursive: true);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    // Another AppHost removing it at the same time, or not ours to remove: it costs a few megabytes.
                }
            }
        }

        return Path.Combine(parent, $"{Environment.ProcessId.ToString(CultureInfo.InvariantCulture)}-{Guid.NewGuid():N}");
    }

    /// <summary>True for a folder named by <see cref="ServeBundleDirectory"/> whose process has ended.</summary>
    private static bool HasEnded(string folder)
    {
        var processId = folder.Split('-', 2)[0];
        if (folder.Length == processId.Length
            || !int.TryParse(processId, NumberStyles.None, CultureInfo.InvariantCulture, out var id))
        {
            return false; // not a folder this code made: leave it
        }

        try
        {
            using var process = System.Diagnostics.Process.GetProcessById(id);
            return process.HasExited;
        }
        catch (ArgumentException)
        {
            return true;
        }
    }

    /// <summary>The demo's second app (src/Client.Web/tasks, served at /tasks/), registered on the server as its own app.</summary>
    public const string TaskListAppId = "tasks";

    /// <summary>
    /// Has Workspace register the task-list app at start when missing (Apps:Register), as the default app is, so both
    /// demo apps run with no step added. Development only: a deployment registers its apps through the admin API.
    /// </summary>
    public static IResourceBuilder<ProjectResource> WithDemoApps(this IResourceBuilder<ProjectResource> workspace) =>
        workspace.WithEnvironment($"Apps__Register__{TaskListAppId}__Name", "Task lists")
            // The task-list schema's current version (src/Client.Web/src/tasks/schema.ts).
            .WithEnvironment($"Apps__Register__{TaskListAppId}__MaxSchemaVersion", "2");
}
