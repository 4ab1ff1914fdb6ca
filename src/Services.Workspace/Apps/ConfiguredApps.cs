using Marten;
using Marten.Exceptions;
using SyncEngine.Backend.Apps;
using SyncEngine.Contracts.Apps;
using Wolverine;
using Contract = SyncEngine.Contracts.Apps;

namespace Services.Workspace.Apps;

/// <summary>
/// Registers an app the configuration names when it is missing, and raises a registered one's maxSchemaVersion to the
/// configured one when lower. The deployment's default app (<c>Apps:Default</c>, when <c>Apps:CreateDefault</c> is set)
/// with <c>Apps:DefaultMaxSchemaVersion</c> (the AppHost passes Sync:MaxSchemaVersion): the schema versions a deployment
/// released before apps existed stay released for the app its old clients belong to. And each
/// <c>Apps:Register:{appId}</c> (<c>Name</c>, <c>MaxSchemaVersion</c>): how the AppHost serves the demo's second app
/// with no step added; a deployment registers its apps through the admin API.
/// </summary>
public sealed record RegisterConfiguredApp(string AppId, int MaxSchemaVersion = 2, string Name = RegisterConfiguredAppHandler.DefaultName);

public static class RegisterConfiguredAppHandler
{
    public const string DefaultName = "Default app";

    /// <summary>Open, no quotas: the behaviour of a deployment before apps existed, so the demo runs with no step added.</summary>
    public static AppSettings Settings(string appId, int maxSchemaVersion = 2, string name = DefaultName) =>
        new(appId, name, AppSettings.OpenPolicy, null, null, [], maxSchemaVersion, new AppQuotas(), false);

    public static async Task<OutgoingMessages> Handle(RegisterConfiguredApp command, IDocumentSession session, TimeProvider clock, CancellationToken ct)
    {
        var settings = Settings(command.AppId, command.MaxSchemaVersion, command.Name);
        var now = clock.GetUtcNow();
        var existing = await session.LoadAsync<App>(App.StreamId(command.AppId), ct);
        if (existing is not null)
        {
            if (existing.Settings.MaxSchemaVersion >= command.MaxSchemaVersion)
            {
                return [];
            }

            var raised = existing.Settings with { MaxSchemaVersion = command.MaxSchemaVersion };
            session.Events.Append(App.StreamId(command.AppId), existing.Version + 1, new AppSettingsChanged(raised, now));
            AppDirectoryRefresh.NotifyOnCommit(session, command.AppId);
            return [new Contract.AppSettingsChanged(raised, existing.Version + 1, now)];
        }

        if (RegisterApp.Decide(null, settings, now) is not RegisterDecision.Start start)
        {
            return [];
        }

        session.Events.StartStream<App>(App.StreamId(command.AppId), start.Registered);
        AppDirectoryRefresh.NotifyOnCommit(session, command.AppId);
        return [new Contract.AppSettingsChanged(settings, Version: 1, start.Registered.At)];
    }
}

/// <summary>Asks for the configured apps once the service (and Wolverine with it) has started.</summary>
public sealed class ConfiguredApps(IConfiguration configuration, IServiceProvider services, IHostApplicationLifetime lifetime, ILogger<ConfiguredApps> logger)
    : BackgroundService
{
    /// <summary>The apps the configuration asks for: the default one first.</summary>
    public static IEnumerable<RegisterConfiguredApp> Configured(IConfiguration configuration)
    {
        if (configuration.GetValue("Apps:CreateDefault", false) && configuration["Apps:Default"] is { Length: > 0 } defaultApp)
        {
            yield return new RegisterConfiguredApp(defaultApp, configuration.GetValue("Apps:DefaultMaxSchemaVersion", 2));
        }

        foreach (var app in configuration.GetSection("Apps:Register").GetChildren())
        {
            yield return new RegisterConfiguredApp(app.Key, app.GetValue("MaxSchemaVersion", 1), app["Name"] ?? app.Key);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var apps = Configured(configuration).ToList();
        if (apps.Count == 0)
        {
            return;
        }

        var started = new TaskCompletionSource();
        await using (lifetime.ApplicationStarted.Register(started.SetResult))
        {
            await started.Task.WaitAsync(stoppingToken);
        }

        foreach (var app in apps)
        {
            try
            {
                await services.GetRequiredService<IMessageBus>().InvokeAsync(app, stoppingToken);
            }
            catch (Exception e) when (e is ExistingStreamIdCollisionException or JasperFx.ConcurrencyException)
            {
                logger.LogInformation("Another replica registered the app {AppId}", app.AppId);
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                // Not fatal to the service: workspaces and other apps work without it, and the next start tries again.
                logger.LogError(e, "Could not register the app {AppId}", app.AppId);
            }
        }
    }
}
