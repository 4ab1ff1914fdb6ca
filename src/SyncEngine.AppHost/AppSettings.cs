namespace SyncEngine.AppHost;

/// <summary>
/// The deployment's default app (<c>Apps:Default</c>, <c>default</c> unless set): workspaces claimed without an app id,
/// and those claimed before apps existed, belong to it. Every service is told its name; Workspace also registers it at
/// start when missing (<c>Apps:CreateDefault</c>, true unless set), so <c>dotnet run</c> and the demo need no step.
/// </summary>
public static class AppSettings
{
    public static IResourceBuilder<ProjectResource> WithApps(this IResourceBuilder<ProjectResource> service, bool owner = false)
    {
        var configuration = service.ApplicationBuilder.Configuration;
        service.WithEnvironment("Apps__Default", configuration["Apps:Default"] ?? "default")
            .WithSectionEnvironment(configuration, "Apps", appHostOnly: ["Default", "CreateDefault", "DefaultMaxSchemaVersion"]);
        return owner
            ? service.WithEnvironment("Apps__CreateDefault", configuration["Apps:CreateDefault"] ?? "true")
                // The default app releases the schema versions the deployment released before apps (Sync:MaxSchemaVersion).
                .WithEnvironment("Apps__DefaultMaxSchemaVersion", configuration["Apps:DefaultMaxSchemaVersion"] ?? configuration["Sync:MaxSchemaVersion"] ?? "2")
            : service;
    }
}
