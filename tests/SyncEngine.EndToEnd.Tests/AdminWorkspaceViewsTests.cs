using System.Net;
using System.Text.Json;
using SyncEngine.Client;
using SyncEngine.Testing;
using Xunit;

namespace SyncEngine.EndToEnd.Tests;

/// <summary>
/// The operators' workspace views through the gateway: an app's workspaces paged by cursor (stable while claims go on)
/// with owner, size, activity and members, and one workspace in full, never a token or a document's bytes.
/// </summary>
// On the RabbitMQ app, although it does not depend on the transport: see RabbitMqCollection.
[Collection(RabbitMqCollection.Name)]
public sealed class AdminWorkspaceViewsTests(RabbitMqApp app)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static string NewAppId() => $"views-{Guid.NewGuid():N}"[..16];

    [Fact]
    public async Task an_apps_workspaces_page_by_cursor_with_what_each_stores_and_a_claim_meanwhile_moves_nothing()
    {
        var admin = await app.OperatorTokenAsync(Ct);
        var appId = NewAppId();
        await app.Api.RegisterAppAsync(admin, new AppSettings(appId, "Views"), Ct);
        var claimed = new List<(Guid WorkspaceId, Guid Owner, string Master)>();
        for (var i = 0; i < 3; i++)
        {
            claimed.Add(await app.NewWorkspaceInAppAsync(appId, Ct));
        }

        var (busy, _, busyMaster) = claimed[0];
        await app.Api.PushAsync(busyMaster, busy, new byte[100], Guid.NewGuid(), 1, Ct);
        await app.Api.PushAsync(busyMaster, busy, new byte[50], Guid.NewGuid(), 1, Ct);
        await app.NewMemberAsync(busy, busyMaster, "read", Ct);
        // Workspace learns of the member from Auth's AccessGranted, a message after the join: the pages are read once it
        // arrived (on the RabbitMQ app the first page came before it and counted no member).
        await Eventually.Until(t => app.Api.GetWorkspaceAsOperatorAsync(admin, busy, t), w => w.Members.Count == 1, TimeSpan.FromSeconds(10), Ct);

        var first = await app.Api.ListWorkspacesAsync(admin, appId, limit: 2, ct: Ct);
        Assert.Equal(2, first.Items.Count);
        Assert.NotNull(first.NextCursor);
        // A claim while the operator pages: it lands before or after the cursor, and nothing else moves.
        var meanwhile = await app.NewWorkspaceInAppAsync(appId, Ct);
        var rest = await app.Api.ListWorkspacesAsync(admin, appId, limit: 2, first.NextCursor, Ct);
        var last = rest.NextCursor is null ? [] : (await app.Api.ListWorkspacesAsync(admin, appId, limit: 2, rest.NextCursor, Ct)).Items;
        var seen = first.Items.Concat(rest.Items).Concat(last).Select(w => w.WorkspaceId).ToList();

        Assert.Equal(seen.Count, seen.Distinct().Count());
        Assert.Superset(claimed.Select(c => c.WorkspaceId).ToHashSet(), seen.ToHashSet());
        Assert.Equal(seen.Order().ToList(), seen);
        Assert.True(seen.Count is 3 or 4);
        Assert.All(seen, id => Assert.Contains(id, claimed.Select(c => c.WorkspaceId).Append(meanwhile.WorkspaceId)));

        var busyItem = first.Items.Concat(rest.Items).Concat(last).Single(w => w.WorkspaceId == busy);
        Assert.Equal((claimed[0].Owner, 2L, 150L, 1), (busyItem.OwnerClientId, busyItem.Head, busyItem.StoredBytes, busyItem.Members));
        Assert.NotNull(busyItem.LastChangeAt);
        var idle = first.Items.Concat(rest.Items).Concat(last).First(w => w.WorkspaceId != busy);
        Assert.Equal((0L, 0L, 0, (DateTimeOffset?)null), (idle.Head, idle.StoredBytes, idle.Members, idle.LastChangeAt));
    }

    [Fact]
    public async Task one_workspace_shows_its_app_owner_log_snapshots_and_members_but_no_token()
    {
        var admin = await app.OperatorTokenAsync(Ct);
        var (workspaceId, owner, master) = await app.NewWorkspaceAsync(Ct);
        await app.Api.PushAsync(master, workspaceId, new byte[40], Guid.NewGuid(), 2, Ct);
        await app.Api.UploadSnapshotAsync(master, workspaceId, new byte[30], covers: 1, Ct);
        var (member, _) = await app.NewMemberAsync(workspaceId, master, "read_write", Ct);

        // Workspace learns of the member from Auth's AccessGranted, a message after the join: the view shows it once
        // that arrived (a clean-clone run asked first and saw no member).
        var shown = await Eventually.Until(t => app.Api.GetWorkspaceAsOperatorAsync(admin, workspaceId, t), w => w.Members.Count == 1,
            TimeSpan.FromSeconds(10), Ct);

        Assert.Equal((SyncEngineApp.DefaultApp, owner, 1L, 2, 70L), (shown.AppId, shown.OwnerClientId, shown.Head, shown.SchemaVersion, shown.StoredBytes));
        Assert.Equal((1L, 30L), (shown.Snapshots.Single().Covers, shown.Snapshots.Single().Bytes));
        Assert.Equal((member, "read_write"), (shown.Members.Single().ClientId, shown.Members.Single().Scope));
        using var raw = await app.Gateway.SendAsync(HttpMethod.Get, $"/admin/workspaces/{workspaceId}", admin, Ct);
        var text = await raw.Content.ReadAsStringAsync(Ct);
        Assert.DoesNotContain("token", text, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("invite", text, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(master, text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task hostile_or_wrong_requests_get_their_problem()
    {
        var admin = await app.OperatorTokenAsync(Ct);
        var (workspaceId, _, master) = await app.NewWorkspaceAsync(Ct);

        async Task Expect(string path, string? token, HttpStatusCode status, string code)
        {
            using var response = await app.Gateway.SendAsync(HttpMethod.Get, path, token, Ct);
            await Problems.AssertProblem(response, status, code);
        }

        await Expect($"/admin/apps/{NewAppId()}/workspaces", admin, HttpStatusCode.NotFound, "app-not-found");
        await Expect("/admin/apps/NOT_A_SLUG/workspaces", admin, HttpStatusCode.NotFound, "app-not-found");
        await Expect($"/admin/apps/{SyncEngineApp.DefaultApp}/workspaces?cursor=not-a-cursor", admin, HttpStatusCode.BadRequest, "invalid-request");
        await Expect($"/admin/apps/{SyncEngineApp.DefaultApp}/workspaces?limit=0", admin, HttpStatusCode.BadRequest, "invalid-request");
        await Expect($"/admin/apps/{SyncEngineApp.DefaultApp}/workspaces?limit=501", admin, HttpStatusCode.BadRequest, "invalid-request");
        await Expect($"/admin/apps/{SyncEngineApp.DefaultApp}/workspaces?limit=ten", admin, HttpStatusCode.BadRequest, "invalid-request");
        await Expect($"/admin/apps/{SyncEngineApp.DefaultApp}/workspaces", master, HttpStatusCode.Unauthorized, "unauthorized");
        await Expect($"/admin/apps/{SyncEngineApp.DefaultApp}/workspaces", null, HttpStatusCode.Unauthorized, "unauthorized");
        await Expect($"/admin/workspaces/{workspaceId}", master, HttpStatusCode.Unauthorized, "unauthorized");
        await Expect($"/admin/workspaces/{Guid.NewGuid()}", admin, HttpStatusCode.NotFound, "workspace-not-found");

        await app.Api.EraseWorkspaceAsync(admin, workspaceId, Ct);
        await Expect($"/admin/workspaces/{workspaceId}", admin, HttpStatusCode.Gone, "workspace-deleted");
    }
}
