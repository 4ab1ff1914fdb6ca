using Marten;
using Marten.Exceptions;
using SyncEngine.Backend.Apps;
using SyncEngine.Contracts.Apps;
using Wolverine;
using Contract = SyncEngine.Contracts.Apps;

namespace Services.Workspace.Apps;

/// <summary>
/// Registers the deployment's default app (<c>Apps:Default</c>) when <c>Apps:CreateDefault</c> is set and it is missing,
/// with <c>Apps:DefaultMaxSchemaVersion</c> (the AppHost passes Sync:MaxSchemaVersion), and raises a registered default
/// app's maxSchemaVersion to it when lower: the schema versions a deployment released before apps existed stay
/// released for the app its old clients belong to.
/// </summary>
public sealed record RegisterDefaultApp(string AppId, int MaxSchemaVersion = 2);

public static class RegisterDefaultAppHandler
{
    /// <summary>Open, no quotas: the behaviour of a deployment before apps existed, so the demo runs with no step added.</summary>
    public static AppSettings Settings(string appId, int maxSchemaVersion = 2) =>
        new(appId, "Default app", AppSettings.OpenPolicy, null, null, [], maxSchemaVersion, new AppQuotas(), false);

    public static async Task<OutgoingMessages> Handle(RegisterDefaultApp command, IDocumentSession session, TimeProvider clock, CancellationToken ct)
    {
        var settings = Settings(command.AppId, command.MaxSchemaVersion);
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

/// <summary>Asks for the default app once the service (and Wolverine with it) has started.</summary>
public sealed class DefaultApp(IConfiguration configuration, IServiceProvider services, IHostApplicationLifetime lifetime, ILogger<DefaultApp> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!configuration.GetValue("Apps:CreateDefault", false) || configuration["Apps:Default"] is not { Length: > 0 } appId)
        {
            return;
        }

        var started = new TaskCompletionSource();
        await using (lifetime.ApplicationStarted.Register(started.SetResult))
        {
            await started.Task.WaitAsync(stoppingToken);
        }

        try
        {
            await services.GetRequiredService<IMessageBus>().InvokeAsync(
                new RegisterDefaultApp(appId, configuration.GetValue("Apps:DefaultMaxSchemaVersion", 2)), stoppingToken);
        }
        catch (Exception e) when (e is ExistingStreamIdCollisionException or JasperFx.ConcurrencyException)
        {
            logger.LogInformation("Another replica registered the default app {AppId}", appId);
        }
        catch (Exception e) when (!stoppingToken.IsCancellationRequested)
        {
            // Not fatal to the service: workspaces and other apps work without it, and the next start tries again.
            logger.LogError(e, "Could not register the default app {AppId}", appId);
        }
    }
}
