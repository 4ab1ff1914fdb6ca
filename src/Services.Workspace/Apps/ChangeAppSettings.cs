using System.Text.Json.Nodes;
using Marten;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using SyncEngine.Backend.Apps;
using SyncEngine.Backend.Security;
using SyncEngine.Contracts.Apps;
using SyncEngine.ServiceDefaults.Problems;
using Wolverine;
using Wolverine.Http;
using Contract = SyncEngine.Contracts.Apps;

namespace Services.Workspace.Apps;

/// <summary>What a PATCH of an app amounts to.</summary>
public abstract record ChangeDecision
{
    private ChangeDecision() { }

    public sealed record NotFound : ChangeDecision;

    /// <summary>The patched settings break a rule: nothing is stored.</summary>
    public sealed record Invalid(ProblemDetails Problem) : ChangeDecision;

    /// <summary>The settings after the patch and the events that record it (none when nothing changed).</summary>
    public sealed record Changed(AppSettings Settings, IReadOnlyList<object> Events) : ChangeDecision;
}

public static class ChangeAppSettings
{
    /// <summary>
    /// The patch is a JSON merge patch (RFC 7396) of the stored settings: members given replace, a quota set to null
    /// goes back to the deployment's default, and the result must pass the same checks as a registration. A change of
    /// <c>suspended</c> is its own event (suspended, resumed); the rest is one settings-changed event.
    /// </summary>
    public static ChangeDecision Decide(App? app, JsonObject patch, DateTimeOffset now)
    {
        if (app is null)
        {
            return new ChangeDecision.NotFound();
        }

        if (patch.TryGetPropertyValue("appId", out var appId)
            && (appId?.GetValueKind() != System.Text.Json.JsonValueKind.String || appId.GetValue<string>() != app.Settings.AppId))
        {
            return new ChangeDecision.Invalid(Problem.InvalidRequest("appId cannot change; register a new app instead."));
        }

        var (settings, problem) = AppSettingsJson.Read((JsonObject)AppSettingsJson.MergePatch(AppSettingsJson.ToJson(app.Settings), patch)!);
        if (settings is null)
        {
            return new ChangeDecision.Invalid(problem!);
        }

        var events = new List<object>();
        if (!SameSettings(settings with { Suspended = app.Settings.Suspended }, app.Settings))
        {
            events.Add(new AppSettingsChanged(settings with { Suspended = app.Settings.Suspended }, now));
        }

        if (settings.Suspended != app.Settings.Suspended)
        {
            events.Add(settings.Suspended ? new AppSuspended(now) : new AppResumed(now));
        }

        return new ChangeDecision.Changed(settings, events);
    }

    [WolverinePatch("/admin/apps/{appId}", OperationId = "changeApp")]
    [Authorize(Policy = OperatorAuthentication.Policy)]
    public static async Task<(Results<Ok<AppSettings>, ProblemHttpResult>, OutgoingMessages)> Patch(
        string appId, HttpRequest request, IDocumentSession session, TimeProvider clock, CancellationToken ct)
    {
        var (patch, bodyProblem) = await AppSettingsJson.ReadBodyAsync(request, ct);
        if (patch is null)
        {
            return (Problem.Result(bodyProblem!), []);
        }

        if (!AppSettingsJson.IsSlug(appId))
        {
            return (GetApp.NotFound(appId), []);
        }

        // The version read here is checked when the events are saved: of two concurrent changes, the later one is a
        // 409 conflict rather than a change made to settings it never saw.
        var stream = await session.Events.FetchForWriting<App>(App.StreamId(appId), ct);
        var now = clock.GetUtcNow();
        switch (Decide(stream.Aggregate, patch, now))
        {
            case ChangeDecision.Changed { Events.Count: 0 } unchanged:
                return (TypedResults.Ok(unchanged.Settings), []);
            case ChangeDecision.Changed changed:
                stream.AppendMany(changed.Events);
                AppDirectoryRefresh.NotifyOnCommit(session, appId);
                return (TypedResults.Ok(changed.Settings),
                    [new Contract.AppSettingsChanged(changed.Settings, stream.Aggregate!.Version + changed.Events.Count, now)]);
            case ChangeDecision.Invalid invalid:
                return (Problem.Result(invalid.Problem), []);
            default:
                return (GetApp.NotFound(appId), []);
        }
    }

    // Records compare lists by reference: the origins are compared by content.
    private static bool SameSettings(AppSettings a, AppSettings b) =>
        a with { AllowedOrigins = [] } == b with { AllowedOrigins = [] } && a.AllowedOrigins.SequenceEqual(b.AllowedOrigins);
}
