using System.Text.Json;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.DependencyInjection;
using SyncEngine.Testing;
using Xunit;

namespace SyncEngine.EndToEnd.Tests;

/// <summary>
/// A message for a stopped service is not lost: it waits in the service's queue (in PostgreSQL, or in RabbitMQ on
/// <see cref="QueuedDeliveryOnRabbitMqTests"/>) and is handled once the service is back. Auth's revocation is one-way
/// (Auth answers the owner without waiting for Workspace), so Workspace can be down.
/// </summary>
[Collection(SyncEngineCollection.Name)]
public class QueuedDeliveryTests(SyncEngineApp app)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task a_revocation_published_while_workspace_is_stopped_waits_in_its_queue_and_lands_after_it_starts()
    {
        var (workspaceId, _, master) = await app.NewWorkspaceAsync(Ct);
        var (member, _) = await app.NewMemberAsync(workspaceId, master, "read_write", Ct);
        await Eventually.Until(token => HistoryTypesAsync(workspaceId, master, member, token),
            types => types.Contains("granted"), TimeSpan.FromSeconds(10), Ct);

        var workspace = app.App.Services.GetRequiredService<DistributedApplicationModel>().Resources.Single(r => r.Name == "workspace");
        try
        {
            var stop = await app.App.ResourceCommands.ExecuteCommandAsync(workspace, KnownResourceCommands.StopCommand, Ct);
            Assert.True(stop.Success, $"stopping workspace: {stop.Message}");
            using (var stopped = CancellationTokenSource.CreateLinkedTokenSource(Ct))
            {
                stopped.CancelAfter(TimeSpan.FromSeconds(60));
                await app.App.ResourceNotifications.WaitForResourceAsync("workspace", KnownResourceStates.TerminalStates, stopped.Token);
            }

            // Auth commits the revocation and its outgoing AccessRevoked together, and answers without Workspace.
            await app.Api.RevokeAsync(master, workspaceId, member, Ct);

            await using var db = await app.OpenDatabaseAsync(Ct);
            var waiting = await Eventually.Until(token => WaitingForWorkspaceAsync(db, workspaceId, token),
                count => count > 0, TimeSpan.FromSeconds(10), Ct);
            Assert.True(waiting > 0, "no message about the workspace waits in Workspace's queue while Workspace is stopped");
            Assert.DoesNotContain("revoked", await HistoryRowsAsync(db, workspaceId, Ct));
        }
        finally
        {
            var start = await app.App.ResourceCommands.ExecuteCommandAsync(workspace, KnownResourceCommands.StartCommand, Ct);
            Assert.True(start.Success, $"starting workspace: {start.Message}");
            await app.WaitUntilHealthyAsync("workspace", TimeSpan.FromMinutes(2), Ct);
        }

        var history = await Eventually.Until(token => HistoryTypesAsync(workspaceId, master, member, token),
            types => types.Contains("revoked"), TimeSpan.FromSeconds(30), Ct);
        Assert.Contains("revoked", history);
        await using var after = await app.OpenDatabaseAsync(Ct);
        Assert.Equal(0, await Eventually.Until(token => WaitingForWorkspaceAsync(after, workspaceId, token),
            count => count == 0, TimeSpan.FromSeconds(10), Ct));
    }

    /// <summary>The types of the workspace's history entries about <paramref name="member"/>, through the gateway.</summary>
    private async Task<List<string>> HistoryTypesAsync(Guid workspaceId, string master, Guid member, CancellationToken ct)
    {
        try
        {
            var history = await app.Api.GetHistoryAsync(master, workspaceId, ct);
            return history.EnumerateArray()
                .Where(e => e.TryGetProperty("clientId", out var c) && c.ValueKind == JsonValueKind.String && c.GetGuid() == member)
                .Select(e => e.GetProperty("type").GetString() ?? "")
                .ToList();
        }
        catch (Exception e) when (e is HttpRequestException or SyncEngine.Client.SyncEngineApiException)
        {
            // Workspace still starting behind the gateway.
            return [];
        }
    }

    /// <summary>
    /// Messages naming the workspace that wait for Workspace: in its queue, or still in Auth's outbox if Auth has not
    /// moved them there yet.
    /// </summary>
    private async Task<long> WaitingForWorkspaceAsync(Npgsql.NpgsqlConnection db, Guid workspaceId, CancellationToken ct) =>
        (await db.QueryAsync(
            """
            select count(*) from auth.wolverine_outgoing_envelopes
            where destination like '%workspace%' and position(convert_to($1, 'UTF8') in body) > 0
            """,
            r => r.GetInt64(0), ct, workspaceId.ToString())).Single()
        + await QueuedForWorkspaceAsync(db, workspaceId, ct);

    /// <summary>Messages naming the workspace in Workspace's PostgreSQL queue table.</summary>
    protected virtual async Task<long> QueuedForWorkspaceAsync(Npgsql.NpgsqlConnection db, Guid workspaceId, CancellationToken ct) =>
        (await db.QueryAsync(
            "select count(*) from wolverine_queues.wolverine_queue_workspace where position(convert_to($1, 'UTF8') in body) > 0",
            r => r.GetInt64(0), ct, workspaceId.ToString())).Single();

    /// <summary>Workspace's own event types for the stream, read from its schema while the service is down.</summary>
    private static async Task<List<string>> HistoryRowsAsync(Npgsql.NpgsqlConnection db, Guid workspaceId, CancellationToken ct) =>
        await db.QueryAsync("select type from workspace.mt_events where stream_id = $1", r => r.GetString(0).Replace("member_", ""), ct, workspaceId);
}
