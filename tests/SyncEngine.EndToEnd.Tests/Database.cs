using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.DependencyInjection;

namespace SyncEngine.EndToEnd.Tests;

/// <summary>The app's own PostgreSQL, for tests that check what is stored or run an operator command against it.</summary>
public static class Database
{
    /// <summary>The connection string the services get (`ConnectionStrings:syncengine`), whichever way PostgreSQL runs.</summary>
    public static async Task<string> ConnectionStringAsync(this SyncEngineApp app, CancellationToken ct)
    {
        var model = app.App.Services.GetRequiredService<DistributedApplicationModel>();
        // The container mode has a server resource and a `syncengine` database resource; the process mode one resource.
        var database = model.Resources.OfType<IResourceWithConnectionString>()
            .OrderBy(r => r.Name == "syncengine" ? 0 : 1).First(r => r.Name is "syncengine" or "postgres");
        return await database.GetConnectionStringAsync(ct)
            ?? throw new InvalidOperationException($"{database.Name} has no connection string yet.");
    }
}
