using System.Net;
using System.Text.Json.Nodes;
using SyncEngine.Client;
using SyncEngine.Testing;
using Xunit;

namespace SyncEngine.EndToEnd.Tests.Browser;

/// <summary>The two apps with live changes over the realtime channel (the library's default).</summary>
[Collection(SyncEngineCollection.Name)]
public sealed class TwoAppsOverSocketTests(SyncEngineApp app, Chromium chromium)
    : TwoAppsTests(app, chromium, "socket"), IClassFixture<Chromium>;

/// <summary>
/// The same on HTTP and event streams, on the RabbitMQ app: its collection runs beside the PostgreSQL app's longer one,
/// and each app has its own `tasks` app to suspend and limit.
/// </summary>
[Collection(RabbitMqCollection.Name)]
public sealed class TwoAppsOverHttpTests(RabbitMqApp app, Chromium chromium)
    : TwoAppsTests(app, chromium, "http"), IClassFixture<Chromium>;

/// <summary>
/// Two apps on one backend, in real Chromium: the meal journal (the default app) and the task lists (the `tasks` app
/// the AppHost registers), both served by the gateway, each with its own local database, server app, quotas and
/// suspension. What an operator does to one app shows its users a clear state and leaves the other app syncing. Run
/// once per transport (the subclasses above); each device checks it synced over that one.
/// </summary>
public abstract class TwoAppsTests(SyncEngineApp app, Chromium chromium, string transport)
{
    private const string Tasks = "tasks";
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(20);
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private Task<Device> JournalAsync() =>
        Device.OpenAsync(chromium.Browser, app.Gateway.BaseAddress!, transport == "http" ? "?transport=http" : "", transport);

    private Task<TaskListDevice> TaskListsAsync() => TaskListDevice.OpenAsync(chromium.Browser, app.Gateway.BaseAddress!, transport);

    /// <summary>docs/screenshots/ from one transport only: the two classes run at once, in two collections.</summary>
    private Task ScreenshotAsync(TaskListDevice lists, string name) => transport == "socket" ? lists.ScreenshotAsync(name) : Task.CompletedTask;

    private async Task ChangeTasksAsync(string patch) =>
        await app.Api.ChangeAppAsync(await app.OperatorTokenAsync(Ct), Tasks, JsonNode.Parse(patch)!.AsObject(), Ct);

    /// <summary>
    /// Waits until Sync answers a push to a workspace of the task app (<paramref name="probe"/>, claimed before the change
    /// of settings) as <paramref name="expected"/>: a setting is in force on every replica within a second of the first
    /// answer that shows it (one NOTIFY).
    /// </summary>
    private async Task UntilSyncAnswersAsync((Guid WorkspaceId, Guid Owner, string Master) probe, byte[] change, HttpStatusCode expected, string? code = null)
    {
        var (workspaceId, _, master) = probe;
        await Eventually.Until(async _ =>
        {
            using var response = await app.Gateway.PushChangeAsync(workspaceId, master, new ByteArrayContent(change), Ct);
            return response.StatusCode == expected
                && (code is null || (await Problems.AssertProblem(response, expected, code)).GetProperty("code").GetString() == code);
        }, matched => matched, TimeSpan.FromSeconds(10), Ct);
    }

    [Fact]
    public async Task both_apps_sync_at_once_on_one_backend_and_neither_apps_token_reads_or_writes_the_others_workspace()
    {
        await using var journal = await JournalAsync();
        await using var lists = await TaskListsAsync();
        var journalId = await journal.CreateJournalAsync("Shared kitchen");
        var listId = await lists.CreateListAsync("Groceries");
        await journal.AddMealAsync("Soup", 300);
        await lists.AddTaskAsync("Milk");
        await lists.AddTaskAsync("Bread");
        await lists.CheckAsync("Milk");
        await journal.ExpectSettledAsync(Settle);
        await lists.ExpectSettledAsync(Settle);
        await ScreenshotAsync(lists, "task-lists");

        var journalToken = (await journal.StoredAsync(journalId))!.Token!;
        var listToken = (await lists.TokenAsync(listId))!;
        Assert.Equal(SyncEngineApp.DefaultApp, Jwt.Payload(journalToken).GetProperty("app").GetString());
        Assert.Equal(Tasks, Jwt.Payload(listToken).GetProperty("app").GetString());
        var journalHead = (await app.Api.PullAsync(journalToken, journalId, 0, Ct)).Head;
        var listHead = (await app.Api.PullAsync(listToken, listId, 0, Ct)).Head;
        Assert.True(journalHead > 0 && listHead > 0, $"journal head {journalHead}, list head {listHead}");

        // Each app's token is refused on the other's workspace: reading and writing, nothing stored.
        foreach (var (token, workspaceId) in new[] { (listToken, journalId), (journalToken, listId) })
        {
            using (var read = await app.Gateway.SendAsync(HttpMethod.Get, $"/api/workspaces/{workspaceId}/changes?after=0", token, Ct))
            {
                await Problems.AssertProblem(read, HttpStatusCode.Forbidden, "forbidden");
            }

            using var write = await app.Gateway.PushChangeAsync(workspaceId, token, new ByteArrayContent([1, 2, 3]), Ct);
            await Problems.AssertProblem(write, HttpStatusCode.Forbidden, "forbidden");
        }

        Assert.Equal(journalHead, (await app.Api.PullAsync(journalToken, journalId, 0, Ct)).Head);
        Assert.Equal(listHead, (await app.Api.PullAsync(listToken, listId, 0, Ct)).Head);
        Assert.Empty(journal.Errors.Concat(lists.Errors));
    }

    [Fact]
    public async Task a_suspended_app_shows_its_users_a_clear_state_while_the_other_keeps_syncing_and_resuming_loses_nothing()
    {
        await using var journal = await JournalAsync();
        await using var lists = await TaskListsAsync();
        var journalId = await journal.CreateJournalAsync("Weekdays");
        var listId = await lists.CreateListAsync("Chores");
        await lists.AddTaskAsync("Dishes");
        await journal.ExpectSettledAsync(Settle);
        await lists.ExpectSettledAsync(Settle);
        var listToken = (await lists.TokenAsync(listId))!;
        var before = (await app.Api.PullAsync(listToken, listId, 0, Ct)).Head;
        var probe = await app.NewWorkspaceInAppAsync(Tasks, Ct);

        try
        {
            await ChangeTasksAsync("""{"suspended": true}""");
            await UntilSyncAnswersAsync(probe, [1], HttpStatusCode.Forbidden, "app-suspended");

            await lists.AddTaskAsync("Laundry");
            await lists.ExpectSyncStateAsync("app-suspended", Settle);
            Assert.Contains("suspended", await lists.SyncStatusTextAsync(), StringComparison.OrdinalIgnoreCase);
            Assert.Equal(1, await lists.PendingCountAsync());
            await ScreenshotAsync(lists, "task-lists-suspended");

            // The journal, another app, goes on.
            await journal.AddMealAsync("Salad", 150);
            await journal.ExpectSettledAsync(Settle);
        }
        finally
        {
            await ChangeTasksAsync("""{"suspended": false}""");
        }

        await UntilSyncAnswersAsync(probe, [2], HttpStatusCode.Created);
        await lists.SyncNowAsync();
        await lists.ExpectSettledAsync(Settle);
        Assert.True((await app.Api.PullAsync(listToken, listId, 0, Ct)).Head > before, "the task added while suspended reached the server");
        var journalToken = (await journal.StoredAsync(journalId))!.Token!;
        Assert.True((await app.Api.PullAsync(journalToken, journalId, 0, Ct)).Head >= 2);
        Assert.Empty(journal.Errors.Concat(lists.Errors));
    }

    [Fact]
    public async Task a_quota_reached_in_one_app_tells_its_user_which_and_the_other_app_is_not_affected()
    {
        await using var journal = await JournalAsync();
        await using var lists = await TaskListsAsync();
        await journal.CreateJournalAsync("Weekends");
        var listId = await lists.CreateListAsync("Long notes");
        await journal.ExpectSettledAsync(Settle);
        await lists.ExpectSettledAsync(Settle);
        var probe = await app.NewWorkspaceInAppAsync(Tasks, Ct);

        try
        {
            // Room for the list as it is, not for a task of about 3000 characters.
            await ChangeTasksAsync("""{"quotas": {"maxWorkspaceBytes": 2048}}""");
            await UntilSyncAnswersAsync(probe, new byte[2049], HttpStatusCode.Forbidden, "quota-exceeded");

            await lists.AddTaskAsync(string.Join(' ', Enumerable.Repeat("oat milk", 340)));
            await lists.ExpectSyncStateAsync("quota-exceeded", Settle);
            Assert.Contains("This workspace is full on the server", await lists.SyncStatusTextAsync(), StringComparison.Ordinal);
            Assert.Equal(1, await lists.PendingCountAsync());
            await ScreenshotAsync(lists, "task-lists-quota");

            await journal.AddMealAsync("Pancakes", 400);
            await journal.ExpectSettledAsync(Settle);
        }
        finally
        {
            await ChangeTasksAsync("""{"quotas": {"maxWorkspaceBytes": null}}""");
        }

        // Room again: the change kept on the device goes through.
        await UntilSyncAnswersAsync(probe, new byte[2049], HttpStatusCode.Created);
        await lists.SyncNowAsync();
        await lists.ExpectSettledAsync(Settle);
        var listToken = (await lists.TokenAsync(listId))!;
        Assert.True((await app.Api.PullAsync(listToken, listId, 0, Ct)).Frames.Sum(f => f.Data.Length) > 3000);
        Assert.Empty(journal.Errors.Concat(lists.Errors));
    }
}
