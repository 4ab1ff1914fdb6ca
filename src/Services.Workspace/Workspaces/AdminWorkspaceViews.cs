using Marten;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http.HttpResults;
using Services.Workspace.Apps;
using SyncEngine.Backend.Apps;
using SyncEngine.Backend.Security;
using SyncEngine.ServiceDefaults.Problems;
using Wolverine.Http;

namespace Services.Workspace.Workspaces;

/// <summary>One workspace in an app's list: who owns it and what Sync stores of it (no secrets, no content).</summary>
public sealed record WorkspaceListItem(
    Guid WorkspaceId, Guid OwnerClientId, string? OwnerSubject, DateTimeOffset CreatedAt, long Head, long StoredBytes,
    DateTimeOffset? LastChangeAt, int Members);

/// <summary>A page of an app's workspaces; <see cref="NextCursor"/> asks for the next one (null: none left).</summary>
public sealed record WorkspacePage(IReadOnlyList<WorkspaceListItem> Items, string? NextCursor);

/// <summary>A workspace's record: app, owner, members (no tokens), what an archive keeps of it.</summary>
public sealed record WorkspaceRecord(
    Guid WorkspaceId, string AppId, Guid OwnerClientId, string? OwnerSubject, DateTimeOffset CreatedAt, IReadOnlyList<MemberView> Members);

/// <summary>One workspace as an operator sees it: app, owner, members (no tokens), what Sync stores.</summary>
public sealed record WorkspaceDetail(
    Guid WorkspaceId, string AppId, Guid OwnerClientId, string? OwnerSubject, DateTimeOffset CreatedAt, long Head, int SchemaVersion,
    long StoredBytes, DateTimeOffset? LastChangeAt, IReadOnlyList<SnapshotStats> Snapshots, IReadOnlyList<MemberView> Members);

/// <summary>
/// The operators' workspace views (docs/design.md, "Operators"). The list pages by workspace id, the cursor being the
/// last id of a page: a claim made while an operator pages lands before or after the cursor and never moves, repeats
/// or hides another item. Owner and members come from this service's workspace documents, head, bytes and snapshots
/// from Sync (<see cref="SyncStatsClient"/>, one request per page).
/// </summary>
public static class AdminWorkspaceViews
{
    public const int DefaultLimit = 50;
    public const int MaxLimit = 500;

    [WolverineGet("/admin/apps/{appId}/workspaces", OperationId = "listAppWorkspaces")]
    [Authorize(Policy = OperatorAuthentication.Policy)]
    public static async Task<Results<Ok<WorkspacePage>, ProblemHttpResult>> List(
        string appId, string? limit, string? cursor, IQuerySession session, AppDirectory apps, SyncStatsClient sync, CancellationToken ct)
    {
        if (!AppSettingsJson.IsSlug(appId) || apps.Find(appId) is null)
        {
            return GetApp.NotFound(appId);
        }

        if (Page(limit, cursor) is not { } page)
        {
            return Problem.Result(Problem.InvalidRequest(
                $"limit must be between 1 and {MaxLimit}, and cursor the nextCursor of a previous page."));
        }

        // One more than asked: whether another page follows.
        var found = await session.QueryAsync<Workspace>(
            "where (data ->> 'AppId' = ? or (? and data ->> 'AppId' is null)) and id > ? order by id limit ?",
            ct, appId, appId == apps.DefaultAppId, page.After, page.Limit + 1);
        var items = found.Take(page.Limit).ToList();
        IReadOnlyDictionary<Guid, SyncStats> stats;
        try
        {
            stats = await sync.ForAsync(items.Select(w => w.Id).ToList(), ct);
        }
        catch (SyncUnavailableException e)
        {
            return Unavailable(e);
        }

        return TypedResults.Ok(new WorkspacePage(
            items.Select(w => Item(w, stats.GetValueOrDefault(w.Id))).ToList(),
            found.Count > page.Limit ? items[^1].Id.ToString("N") : null));
    }

    /// <summary>
    /// What Sync records in an archive of the workspace (app, owner, members), on this service's port only and as the
    /// operator who asked for the archive: the admin view without what Sync itself stores, so an export does not ask
    /// Sync back.
    /// </summary>
    [WolverineGet("/internal/workspaces/{workspaceId}", OperationId = "getWorkspaceRecord")]
    [Authorize(Policy = OperatorAuthentication.Policy)]
    public static async Task<Results<Ok<WorkspaceRecord>, ProblemHttpResult>> Record(
        Guid workspaceId, IQuerySession session, AppDirectory apps, CancellationToken ct) =>
        await session.LoadAsync<Workspace>(workspaceId, ct) is { } workspace
            ? TypedResults.Ok(new WorkspaceRecord(workspace.Id, workspace.AppId ?? apps.DefaultAppId, workspace.OwnerClientId, workspace.OwnerSubject,
                workspace.CreatedAt, GetWorkspace.View(workspace, forMaster: true).Members!))
            : GetWorkspace.NotFound(workspaceId);

    [WolverineGet("/admin/workspaces/{workspaceId}", OperationId = "getWorkspaceAsOperator")]
    [Authorize(Policy = OperatorAuthentication.Policy)]
    public static async Task<Results<Ok<WorkspaceDetail>, ProblemHttpResult>> Get(
        Guid workspaceId, IQuerySession session, AppDirectory apps, SyncStatsClient sync, CancellationToken ct)
    {
        if (await session.LoadAsync<Workspace>(workspaceId, ct) is not { } workspace)
        {
            return GetWorkspace.NotFound(workspaceId);
        }

        SyncStats? stats;
        try
        {
            stats = (await sync.ForAsync([workspaceId], ct)).GetValueOrDefault(workspaceId);
        }
        catch (SyncUnavailableException e)
        {
            return Unavailable(e);
        }

        return TypedResults.Ok(new WorkspaceDetail(
            workspace.Id, workspace.AppId ?? apps.DefaultAppId, workspace.OwnerClientId, workspace.OwnerSubject, workspace.CreatedAt,
            stats?.Head ?? 0, stats?.SchemaVersion ?? 0, stats?.StoredBytes ?? 0, stats?.LastChangeAt, stats?.Snapshots ?? [],
            GetWorkspace.View(workspace, forMaster: true).Members!));
    }

    private static ProblemHttpResult Unavailable(SyncUnavailableException e) => Problem.Result(Problem.Create(
        StatusCodes.Status503ServiceUnavailable, ProblemCodes.Unavailable, $"{e.Message} Try again in a moment."));

    /// <summary>
    /// A page's size and where it starts, from the query: <c>limit</c> 1–500 (50), <c>cursor</c> a previous page's
    /// <c>nextCursor</c>; null when either is malformed (a limit that is not a number too, not the default).
    /// </summary>
    public static (int Limit, Guid After)? Page(string? limit, string? cursor)
    {
        var size = DefaultLimit;
        if (limit is not null && (!int.TryParse(limit, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out size)
            || size is < 1 or > MaxLimit))
        {
            return null;
        }

        var after = Guid.Empty;
        return cursor is null || Guid.TryParseExact(cursor, "N", out after) ? (size, after) : null;
    }

    /// <summary>A list item; a workspace Sync has no log of yet (its claim on the way) has stored nothing.</summary>
    public static WorkspaceListItem Item(Workspace workspace, SyncStats? stats) => new(
        workspace.Id, workspace.OwnerClientId, workspace.OwnerSubject, workspace.CreatedAt,
        stats?.Head ?? 0, stats?.StoredBytes ?? 0, stats?.LastChangeAt, workspace.Members.Count(m => !m.IsRevoked()));
}
