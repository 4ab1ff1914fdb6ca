using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;
using Services.Sync.Changes;
using Services.Sync.Live;
using SyncEngine.Backend.Security;
using Xunit;

namespace Services.Sync.Tests;

public sealed class HeadNotificationsTests
{
    // Never opened: subscribing and unsubscribing do not touch the database.
    private static readonly NpgsqlDataSource Unused = NpgsqlDataSource.Create("Host=127.0.0.1;Port=1");

    [Fact]
    public void a_workspace_set_is_removed_when_its_last_stream_ends()
    {
        using var revocations = new RevocationCache(TimeSpan.FromMinutes(1));
        using var erased = new ErasedWorkspaces(TimeSpan.FromMinutes(1));
        var notifications = new HeadNotifications(Unused, revocations, erased, NullLogger<HeadNotifications>.Instance);
        var workspace = Guid.NewGuid();

        var first = notifications.Subscribe(workspace, Guid.NewGuid(), Guid.NewGuid());
        var second = notifications.Subscribe(workspace, Guid.NewGuid(), Guid.NewGuid());
        using (notifications.Subscribe(Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid()))
        {
            Assert.Equal(2, notifications.WorkspacesWithSubscribers);
        }

        Assert.Equal(1, notifications.WorkspacesWithSubscribers);
        first.Dispose();
        Assert.Equal(1, notifications.WorkspacesWithSubscribers);
        second.Dispose();
        Assert.Equal(0, notifications.WorkspacesWithSubscribers);

        using var again = notifications.Subscribe(workspace, Guid.NewGuid(), Guid.NewGuid());
        Assert.Equal(1, notifications.WorkspacesWithSubscribers);
    }

    [Fact]
    public void a_token_over_its_limit_supersedes_its_oldest_stream_only()
    {
        using var revocations = new RevocationCache(TimeSpan.FromMinutes(1));
        using var erased = new ErasedWorkspaces(TimeSpan.FromMinutes(1));
        var notifications = new HeadNotifications(Unused, revocations, erased, NullLogger<HeadNotifications>.Instance);
        var limit = new LiveStreamLimit(new StaticOptions(new SyncOptions { MaxLiveStreamsPerToken = 2 }));
        var token = Guid.NewGuid();
        var workspace = Guid.NewGuid();
        var streams = Enumerable.Range(0, 3).Select(_ => notifications.Subscribe(workspace, Guid.NewGuid(), token)).ToList();
        using var other = notifications.Subscribe(workspace, Guid.NewGuid(), Guid.NewGuid());

        var admitted = streams.Select(s => limit.TryAdmit(s, null, out _)!).ToList();
        limit.TryAdmit(other, null, out _)!.Dispose();

        Assert.Equal([true, false, false], streams.Select(s => s.Superseded.IsCancellationRequested));
        Assert.False(other.Superseded.IsCancellationRequested);
        Assert.Equal(2, limit.OpenFor(token));
        admitted[2].Dispose();
        Assert.Equal(1, limit.OpenFor(token));
        foreach (var stream in streams)
        {
            stream.Dispose();
        }
    }

    [Fact]
    public void a_client_at_its_apps_limit_is_refused_a_stream_of_another_workspace_but_may_reopen_one()
    {
        using var revocations = new RevocationCache(TimeSpan.FromMinutes(1));
        using var erased = new ErasedWorkspaces(TimeSpan.FromMinutes(1));
        var notifications = new HeadNotifications(Unused, revocations, erased, NullLogger<HeadNotifications>.Instance);
        var limit = new LiveStreamLimit(new StaticOptions(new SyncOptions { MaxLiveStreamsPerToken = 1 }));
        var client = Guid.NewGuid();
        var (first, second) = (Guid.NewGuid(), Guid.NewGuid());
        using var a = notifications.Subscribe(Guid.NewGuid(), client, first, "notes");
        using var b = notifications.Subscribe(Guid.NewGuid(), client, second, "notes");
        var admittedA = limit.TryAdmit(a, 2, out _);
        var admittedB = limit.TryAdmit(b, 2, out _);
        Assert.NotNull(admittedA);
        Assert.NotNull(admittedB);

        // A third workspace is refused, saying how many the client holds; the same client in another app is not.
        using var c = notifications.Subscribe(Guid.NewGuid(), client, Guid.NewGuid(), "notes");
        Assert.Null(limit.TryAdmit(c, 2, out var used));
        Assert.Equal(2, used);
        using var elsewhere = notifications.Subscribe(Guid.NewGuid(), client, Guid.NewGuid(), "tasks");
        limit.TryAdmit(elsewhere, 2, out _)!.Dispose();

        // Reopening the first workspace's stream (its token's limit is 1) supersedes the old one, so it is admitted.
        using var reopened = notifications.Subscribe(a.WorkspaceId, client, first, "notes");
        var admittedAgain = limit.TryAdmit(reopened, 2, out _);
        Assert.NotNull(admittedAgain);
        Assert.True(a.Superseded.IsCancellationRequested);

        // A closed stream makes room.
        admittedB!.Dispose();
        limit.TryAdmit(c, 2, out _)!.Dispose();
        admittedA!.Dispose();
        admittedAgain!.Dispose();
    }

    private sealed class StaticOptions(SyncOptions value) : IOptionsMonitor<SyncOptions>
    {
        public SyncOptions CurrentValue => value;
        public SyncOptions Get(string? name) => value;
        public IDisposable? OnChange(Action<SyncOptions, string?> listener) => null;
    }
}
