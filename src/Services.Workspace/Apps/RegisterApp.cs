using Marten;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http.HttpResults;
using SyncEngine.Backend.Apps;
using SyncEngine.Backend.Security;
using SyncEngine.Contracts.Apps;
using SyncEngine.ServiceDefaults.Problems;
using Wolverine;
using Wolverine.Http;
using Contract = SyncEngine.Contracts.Apps;

namespace Services.Workspace.Apps;

/// <summary>What registering an app amounts to, given what its stream already holds.</summary>
public abstract record RegisterDecision
{
    private RegisterDecision() { }

    /// <summary>The slug is free: start the app's stream with this event.</summary>
    public sealed record Start(AppRegistered Registered) : RegisterDecision;

    /// <summary>An app with this slug exists.</summary>
    public sealed record Exists : RegisterDecision;
}

public static class RegisterApp
{
    public static RegisterDecision Decide(App? existing, AppSettings settings, DateTimeOffset now) =>
        existing is null ? new RegisterDecision.Start(new AppRegistered(settings, now)) : new RegisterDecision.Exists();

    /// <summary>
    /// The app's stream, its NOTIFY (this service's own directory) and AppSettingsChanged (Auth's and Sync's) commit
    /// together: Wolverine saves the session and sends the returned message through the outbox in one transaction.
    /// </summary>
    [WolverinePost("/admin/apps", OperationId = "registerApp")]
    [Authorize(Policy = OperatorAuthentication.Policy)]
    public static async Task<(Results<Created<AppSettings>, ProblemHttpResult>, OutgoingMessages)> Post(
        HttpRequest request, IDocumentSession session, TimeProvider clock, CancellationToken ct)
    {
        var (body, bodyProblem) = await AppSettingsJson.ReadBodyAsync(request, ct);
        if (body is null)
        {
            return (Problem.Result(bodyProblem!), []);
        }

        var (settings, problem) = AppSettingsJson.Read(body);
        if (settings is null)
        {
            return (Problem.Result(problem!), []);
        }

        var id = App.StreamId(settings.AppId);
        switch (Decide(await session.LoadAsync<App>(id, ct), settings, clock.GetUtcNow()))
        {
            case RegisterDecision.Start start:
                // A concurrent registration of the same slug collides on the stream id: 409 conflict (StaleWrites), and
                // its retry finds the app.
                session.Events.StartStream<App>(id, start.Registered);
                AppDirectoryRefresh.NotifyOnCommit(session, settings.AppId);
                return (TypedResults.Created($"/admin/apps/{settings.AppId}", settings),
                    [new Contract.AppSettingsChanged(settings, Version: 1, start.Registered.At)]);
            default:
                return (Problem.Result(Problem.Create(StatusCodes.Status409Conflict, ProblemCodes.AppExists,
                    $"An app '{settings.AppId}' is registered already; change it with PATCH /admin/apps/{settings.AppId}.")), []);
        }
    }
}
