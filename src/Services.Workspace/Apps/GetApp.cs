using Marten;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http.HttpResults;
using SyncEngine.Backend.Security;
using SyncEngine.Contracts.Apps;
using SyncEngine.ServiceDefaults.Problems;
using Wolverine.Http;

namespace Services.Workspace.Apps;

public static class GetApp
{
    [WolverineGet("/admin/apps", OperationId = "listApps")]
    [Authorize(Policy = OperatorAuthentication.Policy)]
    public static async Task<IReadOnlyList<AppSettings>> List(IQuerySession session, CancellationToken ct) =>
        (await session.Query<App>().ToListAsync(ct)).Select(a => a.Settings).OrderBy(s => s.AppId, StringComparer.Ordinal).ToList();

    [WolverineGet("/admin/apps/{appId}", OperationId = "getApp")]
    [Authorize(Policy = OperatorAuthentication.Policy)]
    public static async Task<Results<Ok<AppSettings>, ProblemHttpResult>> Get(string appId, IQuerySession session, CancellationToken ct) =>
        AppSettingsJson.IsSlug(appId) && await session.LoadAsync<App>(App.StreamId(appId), ct) is { } app
            ? TypedResults.Ok(app.Settings)
            : NotFound(appId);

    internal static ProblemHttpResult NotFound(string appId) => Problem.Result(Problem.Create(
        StatusCodes.Status404NotFound, ProblemCodes.AppNotFound, $"There is no app '{appId}'."));
}

/// <summary>This service's own directory reads its apps straight from their documents (Auth and Sync keep KnownApp copies).</summary>
public static class AppDirectorySource
{
    public static async Task<IReadOnlyList<SyncEngine.Backend.Apps.KnownApp>> LoadAsync(IQuerySession session, CancellationToken ct) =>
        (await session.Query<App>().ToListAsync(ct))
        .Select(app => new SyncEngine.Backend.Apps.KnownApp { Id = app.Settings.AppId, Settings = app.Settings, Version = app.Version, ChangedAt = app.ChangedAt })
        .ToList();
}
