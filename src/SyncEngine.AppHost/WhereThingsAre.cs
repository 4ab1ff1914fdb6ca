using Microsoft.Extensions.Configuration;

namespace SyncEngine.AppHost;

/// <summary>
/// Once the gateway answers its health check, one console line says where everything is: Aspire's own output names
/// only the dashboard, and the gateway's port is configurable.
/// </summary>
public static class WhereThingsAre
{
    public static IResourceBuilder<ProjectResource> AnnounceWhenReady(
        this IResourceBuilder<ProjectResource> gateway, IConfiguration configuration)
    {
        var dashboard = (configuration["ASPNETCORE_URLS"] ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault();
        return gateway.OnResourceReady((_, _, _) =>
        {
            var url = gateway.GetEndpoint("http").Url;
            Console.WriteLine($"SyncEngine is ready: gateway {url} (API under {url}/api), web client {url}/, " +
                $"dashboard {dashboard ?? "(disabled)"}");
            return Task.CompletedTask;
        });
    }
}
