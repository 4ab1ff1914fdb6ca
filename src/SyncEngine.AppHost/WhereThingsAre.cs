using Microsoft.Extensions.Configuration;

namespace SyncEngine.AppHost;

/// <summary>
/// Once the gateway and the web client both answer their health checks, one console line says where everything is:
/// Aspire's own output names only the dashboard, and the gateway's port is configurable.
/// </summary>
public static class WhereThingsAre
{
    public static IResourceBuilder<ProjectResource> AnnounceWhenReady(
        this IResourceBuilder<ProjectResource> gateway, IResourceBuilder<ExecutableResource> web, IConfiguration configuration,
        OperatorSecret.Credentials operatorCredentials)
    {
        var dashboard = (configuration["ASPNETCORE_URLS"] ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault();
        var waiting = 2;
        void OneReady()
        {
            if (Interlocked.Decrement(ref waiting) == 0)
            {
                var url = gateway.GetEndpoint("http").Url;
                Console.WriteLine($"SyncEngine is ready: gateway {url} (API under {url}/api), meal journal {url}/, task lists {url}/tasks/, " +
                    $"dashboard {dashboard ?? "(disabled)"}{Environment.NewLine}{OperatorSecret.Hint(operatorCredentials, url)}");
            }
        }

        web.OnResourceReady((_, _, _) =>
        {
            OneReady();
            return Task.CompletedTask;
        });
        return gateway.OnResourceReady((_, _, _) =>
        {
            OneReady();
            return Task.CompletedTask;
        });
    }
}
