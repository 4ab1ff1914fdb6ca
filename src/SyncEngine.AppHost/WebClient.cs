namespace SyncEngine.AppHost;

/// <summary>The browser client (src/Client.Web), served by Vite's dev server; the gateway fronts it at /.</summary>
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
            var install = Postgres.ProcessRunner.Run("npm", ["ci", "--no-audit", "--no-fund"], TimeSpan.FromMinutes(5), directory);
            if (!install.Succeeded)
            {
                throw new Postgres.PrerequisiteMissingException($"npm ci failed in {directory}: {install.Output}");
            }
        }

        return builder.AddExecutable(name, "npm", directory, "run", "dev")
            .WithHttpEndpoint(env: "PORT")
            .WithEnvironment("BROWSER", "none");
    }
}
