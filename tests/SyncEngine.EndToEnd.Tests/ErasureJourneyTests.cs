using System.Net;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using SyncEngine.Client;
using SyncEngine.Testing;
using Xunit;

namespace SyncEngine.EndToEnd.Tests;

/// <summary>
/// Erasure ("delete my data", docs/operations.md): the owner or an operator deletes a workspace, every service erases
/// its part, and afterwards nothing of it is stored but a tombstone, every route of the id is 410, live streams end.
/// </summary>
[Collection(SyncEngineCollection.Name)]
public sealed class ErasureJourneyTests(SyncEngineApp app)
{
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(20);
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task the_owner_erases_a_workspace_and_nothing_of_it_remains_in_any_schema_and_every_route_is_410()
    {
        var (workspaceId, owner, master) = await app.NewWorkspaceAsync(Ct);
        var (member, memberToken) = await app.NewMemberAsync(workspaceId, master, "read_write", Ct);
        for (var i = 1; i <= 3; i++)
        {
            await app.Api.PushAsync(memberToken, workspaceId, [(byte)i, 7, 7], Guid.NewGuid(), 1, Ct);
        }

        await app.Api.UploadSnapshotAsync(master, workspaceId, [1, 2, 3, 7], 2, Ct);
        var pending = await app.Api.GrantAsync(master, workspaceId, Guid.NewGuid(), "read", ct: Ct);
        await app.Api.RevokeAsync(master, workspaceId, member, Ct);
        await using var stream = await EventStream.OpenAsync(app.Gateway, workspaceId, master, null, Ct);
        Assert.NotNull(await stream.NextMatchingAsync(m => m.Event == "head", TimeSpan.FromSeconds(10), Ct));
        await using var db = await app.OpenDatabaseAsync(Ct);
        // Every service has heard of the workspace before it is erased (the revocation reached Workspace and Sync).
        await Eventually.Until(t => RowsOfAsync(db, workspaceId, t), rows => rows.Any(r => r.StartsWith("workspace.mt_doc_revocation", StringComparison.Ordinal))
            && rows.Any(r => r.StartsWith("sync.mt_doc_revocation", StringComparison.Ordinal)), Settle, Ct);

        await app.Api.DeleteWorkspaceAsync(master, workspaceId, Ct);

        var deleted = await stream.NextMatchingAsync(m => m.Event is "deleted" or "revoked", Settle, Ct);
        Assert.Equal("deleted", deleted?.Event);
        Assert.Null(await stream.NextAsync(TimeSpan.FromSeconds(5), Ct));
        var left = await Eventually.Until(t => RowsOfAsync(db, workspaceId, t), rows => rows.Count == 0, Settle, Ct);
        Assert.True(left.Count == 0, "rows of the erased workspace remain: " + string.Join(", ", left));
        Assert.Equal(["auth", "sync", "workspace"], await TombstonesAsync(db, workspaceId, Ct));

        var admin = await app.OperatorTokenAsync(Ct);
        var routes = new (HttpMethod Method, string Path, string? Token, HttpContent? Body)[]
        {
            (HttpMethod.Get, $"/api/workspaces/{workspaceId}", master, null),
            (HttpMethod.Get, $"/api/workspaces/{workspaceId}/history", master, null),
            (HttpMethod.Get, $"/api/workspaces/{workspaceId}/tokens", master, null),
            (HttpMethod.Post, $"/api/workspaces/{workspaceId}/tokens", master, Json(new { clientId = Guid.NewGuid(), scope = "read" })),
            (HttpMethod.Delete, $"/api/workspaces/{workspaceId}/tokens/{member}", master, null),
            (HttpMethod.Post, $"/api/workspaces/{workspaceId}/join", null, Json(new { clientId = pending.ClientId, inviteCode = pending.InviteCode })),
            (HttpMethod.Get, $"/api/workspaces/{workspaceId}/changes?after=0", master, null),
            (HttpMethod.Post, $"/api/workspaces/{workspaceId}/changes", master, new ByteArrayContent([9])),
            (HttpMethod.Post, $"/api/workspaces/{workspaceId}/snapshots", master, new ByteArrayContent([9])),
            (HttpMethod.Get, $"/api/workspaces/{workspaceId}/events", master, null),
            (HttpMethod.Delete, $"/api/workspaces/{workspaceId}", master, null),
            (HttpMethod.Delete, $"/admin/workspaces/{workspaceId}", admin, null),
            (HttpMethod.Get, $"/api/workspaces/{workspaceId}", null, null),
        };
        foreach (var (method, path, token, body) in routes)
        {
            using var response = await app.Gateway.SendAsync(method, path, token, Ct, body,
                ("Idempotency-Key", Guid.NewGuid().ToString()), ("Sync-Schema-Version", "1"), ("Sync-Covers", "1"));
            Assert.True(response.StatusCode == HttpStatusCode.Gone, $"{method} {path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(Ct)}");
            await Problems.AssertProblem(response, HttpStatusCode.Gone, "workspace-deleted");
        }

        var reclaim = await Assert.ThrowsAsync<SyncEngineApiException>(() => app.Api.ClaimAsync(workspaceId, owner, Guid.NewGuid().ToString(), Ct));
        Assert.Equal((HttpStatusCode.Gone, "workspace-deleted"), (reclaim.Status, reclaim.Code));
        Assert.Empty(await RowsOfAsync(db, workspaceId, Ct));
    }

    [Fact]
    public async Task an_operator_erases_a_workspace_while_sync_is_stopped_and_sync_erases_its_part_when_it_is_back()
    {
        var (workspaceId, _, master) = await app.NewWorkspaceAsync(Ct);
        var (other, _, _) = await app.NewWorkspaceAsync(Ct);
        await app.Api.PushAsync(master, workspaceId, [1, 2, 3], Guid.NewGuid(), 1, Ct);
        await using var db = await app.OpenDatabaseAsync(Ct);
        var sync = app.App.Services.GetRequiredService<DistributedApplicationModel>().Resources.Single(r => r.Name == "sync");
        try
        {
            var stop = await app.App.ResourceCommands.ExecuteCommandAsync(sync, KnownResourceCommands.StopCommand, Ct);
            Assert.True(stop.Success, $"stopping sync: {stop.Message}");
            using (var stopped = CancellationTokenSource.CreateLinkedTokenSource(Ct))
            {
                stopped.CancelAfter(TimeSpan.FromSeconds(60));
                await app.App.ResourceNotifications.WaitForResourceAsync("sync", KnownResourceStates.TerminalStates, stopped.Token);
            }

            await app.Api.EraseWorkspaceAsync(await app.OperatorTokenAsync(Ct), workspaceId, Ct);

            await Eventually.Until(t => TombstonesAsync(db, workspaceId, t), t => t.SequenceEqual(["auth", "workspace"]), Settle, Ct);
            Assert.Contains(await RowsOfAsync(db, workspaceId, Ct), r => r.StartsWith("sync.changes", StringComparison.Ordinal));

            // Meanwhile an operator's view of a workspace, which asks Sync what it stores, says Sync is out of reach.
            using var view = await app.Gateway.SendAsync(HttpMethod.Get, $"/admin/workspaces/{other}", await app.OperatorTokenAsync(Ct), Ct);
            await Problems.AssertProblem(view, HttpStatusCode.ServiceUnavailable, "unavailable");
        }
        finally
        {
            var start = await app.App.ResourceCommands.ExecuteCommandAsync(sync, KnownResourceCommands.StartCommand, Ct);
            Assert.True(start.Success, $"starting sync: {start.Message}");
            await app.WaitUntilHealthyAsync("sync", TimeSpan.FromMinutes(2), Ct);
        }

        var left = await Eventually.Until(t => RowsOfAsync(db, workspaceId, t), rows => rows.Count == 0, Settle, Ct);
        Assert.True(left.Count == 0, "rows of the erased workspace remain: " + string.Join(", ", left));
        Assert.Equal(["auth", "sync", "workspace"], await TombstonesAsync(db, workspaceId, Ct));
        using var pull = await app.Gateway.SendAsync(HttpMethod.Get, $"/api/workspaces/{workspaceId}/changes?after=0", master, Ct);
        await Problems.AssertProblem(pull, HttpStatusCode.Gone, "workspace-deleted");
    }

    [Fact]
    public async Task erasure_is_refused_to_members_strangers_and_the_wrong_kind_of_token_and_an_unknown_id_is_404()
    {
        var (workspaceId, _, master) = await app.NewWorkspaceAsync(Ct);
        var (_, writer) = await app.NewMemberAsync(workspaceId, master, "read_write", Ct);
        await app.Api.PushAsync(writer, workspaceId, [4, 2], Guid.NewGuid(), 1, Ct);
        var (_, _, otherMaster) = await app.NewWorkspaceAsync(Ct);
        var admin = await app.OperatorTokenAsync(Ct);
        var refusals = new (HttpMethod Method, string Path, string? Token, HttpStatusCode Status, string Code)[]
        {
            (HttpMethod.Delete, $"/api/workspaces/{workspaceId}", writer, HttpStatusCode.Forbidden, "forbidden"),
            (HttpMethod.Delete, $"/api/workspaces/{workspaceId}", otherMaster, HttpStatusCode.Forbidden, "forbidden"),
            (HttpMethod.Delete, $"/api/workspaces/{workspaceId}", null, HttpStatusCode.Unauthorized, "unauthorized"),
            (HttpMethod.Delete, $"/api/workspaces/{workspaceId}", admin, HttpStatusCode.Unauthorized, "unauthorized"),
            (HttpMethod.Delete, $"/admin/workspaces/{workspaceId}", master, HttpStatusCode.Unauthorized, "unauthorized"),
            (HttpMethod.Delete, "/admin/workspaces/not-a-uuid", admin, HttpStatusCode.BadRequest, "invalid-request"),
            (HttpMethod.Delete, $"/admin/workspaces/{Guid.NewGuid()}", admin, HttpStatusCode.NotFound, "workspace-not-found"),
        };
        foreach (var (method, path, token, status, code) in refusals)
        {
            using var response = await app.Gateway.SendAsync(method, path, token, Ct);
            Assert.True(response.StatusCode == status, $"{method} {path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(Ct)}");
            await Problems.AssertProblem(response, status, code);
        }

        await using var db = await app.OpenDatabaseAsync(Ct);
        Assert.Empty(await TombstonesAsync(db, workspaceId, Ct));
        Assert.Equal([4, 2], Assert.Single((await app.Api.PullAsync(master, workspaceId, 0, Ct)).Frames).Data);
        Assert.Equal(workspaceId, (await app.Api.GetWorkspaceAsync(master, workspaceId, Ct)).GetProperty("workspaceId").GetGuid());
    }

    private static StringContent Json(object body) =>
        new(System.Text.Json.JsonSerializer.Serialize(body, new System.Text.Json.JsonSerializerOptions(System.Text.Json.JsonSerializerDefaults.Web)),
            System.Text.Encoding.UTF8, "application/json");

    /// <summary>
    /// Every row in the services' schemas whose text holds the workspace id (either spelling), as "schema.table", but the
    /// tombstones and Workspace's archived stream row (id, type, version, times: what keeps the id from being claimed
    /// again, checked to hold no data). Message envelopes are bytea (their bodies are not text), and Wolverine deletes
    /// them once handled.
    /// </summary>
    private static async Task<List<string>> RowsOfAsync(NpgsqlConnection db, Guid workspaceId, CancellationToken ct)
    {
        var tables = new List<string>();
        await using (var list = new NpgsqlCommand(
            "select table_schema || '.' || table_name from information_schema.tables " +
            "where table_schema in ('auth', 'workspace', 'sync') and table_type = 'BASE TABLE' and table_name <> 'mt_doc_erasedworkspace' " +
            "and (table_schema, table_name) <> ('workspace', 'mt_streams')", db))
        await using (var reader = await list.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
            {
                tables.Add(reader.GetString(0));
            }
        }

        var found = new List<string>();
        await using (var stream = new NpgsqlCommand(
            "select count(*) from workspace.mt_streams where id = $1 and not is_archived", db))
        {
            stream.Parameters.AddWithValue(workspaceId);
            if ((long)(await stream.ExecuteScalarAsync(ct))! > 0)
            {
                found.Add("workspace.mt_streams (not archived)");
            }
        }

        foreach (var table in tables)
        {
            await using var count = new NpgsqlCommand($"select count(*) from {table} t where t::text ilike $1 or t::text ilike $2", db);
            count.Parameters.AddWithValue($"%{workspaceId:D}%");
            count.Parameters.AddWithValue($"%{workspaceId:N}%");
            if ((long)(await count.ExecuteScalarAsync(ct))! is > 0 and var n)
            {
                found.Add($"{table} ({n})");
            }
        }

        return found;
    }

    private static async Task<List<string>> TombstonesAsync(NpgsqlConnection db, Guid workspaceId, CancellationToken ct)
    {
        var schemas = new List<string>();
        foreach (var schema in new[] { "auth", "sync", "workspace" })
        {
            await using var exists = new NpgsqlCommand($"select count(*) from {schema}.mt_doc_erasedworkspace where id = $1", db);
            exists.Parameters.AddWithValue(workspaceId);
            if ((long)(await exists.ExecuteScalarAsync(ct))! > 0)
            {
                schemas.Add(schema);
            }
        }

        return schemas;
    }
}
