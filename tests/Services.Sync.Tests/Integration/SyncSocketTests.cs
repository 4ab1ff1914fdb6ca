using System.Diagnostics;
using System.Net.WebSockets;
using Microsoft.Extensions.DependencyInjection;
using Services.Sync.Changes;
using Services.Sync.Realtime;
using SyncEngine.Client;
using SyncSocket = SyncEngine.Client.SyncSocket;
using SyncEngine.Contracts.Auth;
using SyncEngine.Contracts.Workspaces;
using SyncEngine.Testing;
using Xunit;
using static SyncEngine.Testing.TestData;

namespace Services.Sync.Tests.Integration;

/// <summary>The realtime channel (docs/protocol.md, "Realtime channel"): catch-up, live changes with their bytes, pushes and their acknowledgements, the ends of a subscription.</summary>
public sealed class SyncSocketTests(SyncService sync)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly TimeSpan Wait = SyncSocketAnswers.Wait;

    private static Task<SyncSocketMessage?> Next(SyncSocket socket, string type) => socket.NextAsync(m => m.Type == type, Wait, Ct);

    private static async Task<SyncSocketMessage> Expect(SyncSocket socket, string type)
    {
        var message = await socket.NextAnswerAsync();
        Assert.NotNull(message);
        Assert.True(message.Type == type, $"Expected {type}, got {message.Type}: {message.Header}");
        return message;
    }

    private async Task<long> HeadAsync(Guid workspaceId, string token) => (await sync.Api.PullAsync(token, workspaceId, 0, Ct)).Head;

    [Fact]
    public async Task a_subscriber_gets_what_it_lacks_then_every_change_with_its_bytes()
    {
        var (workspaceId, _, master) = await sync.NewWorkspaceAsync();
        for (var i = 1; i <= 3; i++)
        {
            await sync.Api.PushAsync(master, workspaceId, Bytes(10, i), Guid.NewGuid(), 1, Ct);
        }

        await using var socket = await sync.OpenSocketAsync();
        await socket.SubscribeAsync(7, workspaceId, master, after: 1, Ct);
        var subscribed = await Expect(socket, "subscribed");
        Assert.Equal(7, subscribed.Ref);
        Assert.Equal(workspaceId, subscribed.Workspace);
        Assert.Equal(3, subscribed.Long("head"));
        Assert.Equal(1, subscribed.Long("schemaVersion"));

        var catchUp = await Expect(socket, "changes");
        Assert.Equal(3, catchUp.Long("head"));
        Assert.Equal([(2L, Bytes(10, 2)), (3L, Bytes(10, 3))], catchUp.Frames.Select(f => (f.Seq, f.Data)));

        await sync.Api.PushAsync(master, workspaceId, Bytes(20, 4), Guid.NewGuid(), 1, Ct);
        var live = await Expect(socket, "changes");
        var frame = Assert.Single(live.Frames);
        Assert.Equal((4L, false), (frame.Seq, frame.IsSnapshot));
        Assert.Equal(Bytes(20, 4), frame.Data);
    }

    [Fact]
    public async Task a_subscriber_far_behind_gets_the_snapshot_where_a_pull_would_then_the_changes_after_it()
    {
        var (workspaceId, _, master) = await sync.NewWorkspaceAsync();
        for (var i = 1; i <= 3; i++)
        {
            await sync.Api.PushAsync(master, workspaceId, Bytes(1000, i), Guid.NewGuid(), 1, Ct);
        }

        // Smaller than the changes it covers, so a pull from 0 sends it instead of them.
        await sync.Api.UploadSnapshotAsync(master, workspaceId, Bytes(10, 9), covers: 3, Ct);
        await sync.Api.PushAsync(master, workspaceId, Bytes(5, 4), Guid.NewGuid(), 1, Ct);

        await using var socket = await sync.OpenSocketAsync();
        await socket.SubscribeAsync(1, workspaceId, master, 0, Ct);
        Assert.Equal(4, (await Expect(socket, "subscribed")).Long("head"));
        var catchUp = await Expect(socket, "changes");
        Assert.Equal([(true, 3L), (false, 4L)], catchUp.Frames.Select(f => (f.IsSnapshot, f.Seq)));
        Assert.Equal(Bytes(10, 9), catchUp.Frames[0].Data);
    }

    [Fact]
    public async Task a_catch_up_whose_snapshot_is_replaced_while_being_sent_closes_with_4000_and_subscribing_again_gets_the_new_one()
    {
        var (workspaceId, _, master) = await sync.NewWorkspaceAsync();
        // Covered changes larger than the snapshot, so a catch-up from 0 sends the snapshot, in chunks of 1 MiB.
        await sync.Api.PushAsync(master, workspaceId, Bytes(1024 * 1024, 1), Guid.NewGuid(), 1, Ct);
        await sync.Api.PushAsync(master, workspaceId, Bytes(1024 * 1024, 2), Guid.NewGuid(), 1, Ct);
        await sync.Api.UploadSnapshotAsync(master, workspaceId, Bytes(1536 * 1024, 3), covers: 2, Ct);
        var hold = new TaskCompletionSource();
        var device = new FakeDevice { HoldFragments = hold };
        device.Subscribe(workspaceId, master);
        var session = sync.RunSessionAsync(device, Ct);

        // Replaced while its first chunk is on the way: the rest would not belong to the bytes already sent.
        await device.FragmentHeld.Task.WaitAsync(Wait, Ct);
        await sync.Api.UploadSnapshotAsync(master, workspaceId, Bytes(1536 * 1024, 4), covers: 2, Ct);
        hold.SetResult();
        await session.WaitAsync(Wait, Ct);
        Assert.Equal(SocketSession.Resubscribe, device.ClosedWith);

        await using var socket = await sync.OpenSocketAsync();
        await socket.SubscribeAsync(2, workspaceId, master, 0, Ct);
        await Expect(socket, "subscribed");
        var frame = Assert.Single((await Expect(socket, "changes")).Frames);
        Assert.Equal((true, 2L), (frame.IsSnapshot, frame.Seq));
        Assert.Equal(Bytes(1536 * 1024, 4), frame.Data);
    }

    [Fact]
    public async Task a_stopping_replica_sends_a_real_socket_its_close_frame_1001_instead_of_cutting_it()
    {
        var (workspaceId, _, master) = await sync.NewWorkspaceAsync();
        await using var pair = await LoopbackSocket.OpenAsync(Ct);
        using var stopping = new CancellationTokenSource();
        var session = sync.RunSessionAsync(pair.Server, stopping.Token);
        await pair.Device.SubscribeAsync(1, workspaceId, master, 0, Ct);
        await Expect(pair.Device, "subscribed");

        await stopping.CancelAsync();
        Assert.Null(await pair.Device.NextAsync(_ => false, Wait, Ct));
        Assert.Equal(WebSocketCloseStatus.EndpointUnavailable, pair.Device.Socket.CloseStatus);
        // The device's closing answer ends the session within the grace period, not at its end.
        await session.WaitAsync(Wait, Ct);
    }

    [Fact]
    public async Task a_close_requested_while_a_message_is_being_sent_follows_that_message_instead_of_cutting_it()
    {
        var (workspaceId, _, master) = await sync.NewWorkspaceAsync();
        await sync.Api.PushAsync(master, workspaceId, Bytes(200 * 1024, 1), Guid.NewGuid(), 1, Ct);
        var hold = new TaskCompletionSource();
        var device = new FakeDevice { HoldFragments = hold };
        device.Subscribe(workspaceId, master);
        using var stopping = new CancellationTokenSource();
        var session = sync.RunSessionAsync(device, stopping.Token);

        // The catch-up's first fragment is under way when the replica starts stopping; cancelling that send would
        // abort a real socket, so it is let finish and the close frame follows.
        await device.FragmentHeld.Task.WaitAsync(Wait, Ct);
        await stopping.CancelAsync();
        hold.SetResult();
        await session.WaitAsync(Wait, Ct);
        Assert.Equal(WebSocketCloseStatus.EndpointUnavailable, device.ClosedWith);
    }

    [Fact]
    public async Task a_change_another_replica_announces_with_its_bytes_is_sent_on_without_reading_the_store()
    {
        var (workspaceId, _, master) = await sync.NewWorkspaceAsync();
        await using var socket = await sync.OpenSocketAsync();
        await socket.SubscribeAsync(1, workspaceId, master, 0, Ct);
        await Expect(socket, "subscribed");

        // What another replica's HeadAnnouncer sends for seq 1; the store has no seq 1, so the bytes can only come from here.
        var payload = Services.Sync.Live.HeadNotifications.Payload(workspaceId, 1, Guid.NewGuid(), [7, 7, 7]);
        await using (var db = await sync.Database.OpenAsync(Ct))
        {
            await db.QueryAsync("select pg_notify($1, $2)", _ => 0, Ct, Services.Sync.Live.HeadNotifications.HeadChannel, payload);
        }

        var received = await Expect(socket, "changes");
        Assert.Equal(1, Assert.Single(received.Frames).Seq);
        Assert.Equal([7, 7, 7], received.Frames[0].Data);
    }

    [Fact]
    public async Task a_change_of_another_device_arriving_during_a_push_is_sent_before_the_ack_which_then_covers_both()
    {
        var (workspaceId, _, master) = await sync.NewWorkspaceAsync();
        await using var socket = await sync.OpenSocketAsync();
        await socket.SendAsync(SyncSocket.Message(new { type = "subscribe", @ref = 1, workspace = workspaceId, token = master, after = 0 }), Ct);
        await Expect(socket, "subscribed");

        // Another device's change, seq 1, written and not yet committed: it holds the workspace's log row.
        var db = sync.Services.GetRequiredService<Npgsql.NpgsqlDataSource>();
        await using var other = await db.OpenConnectionAsync(Ct);
        await using var transaction = await other.BeginTransactionAsync(Ct);
        await using (var append = new Npgsql.NpgsqlCommand(PushChange.AppendSql, other, transaction))
        {
            var limits = new MaxSchemaVersion.Limits(SyncService.MaxSchemaVersion, SyncService.MaxChangeBytes, SyncService.MaxWorkspaceBytes);
            var body = new CheckedBody([5, 5, 5], SyncSchema.OpaqueFormat);
            PushChange.AddAppendParameters(append.Parameters, workspaceId, new PushHeaders(Guid.NewGuid(), 1),
                System.Security.Cryptography.SHA256.HashData(body.Data), body, Guid.NewGuid(), limits);
            await append.ExecuteNonQueryAsync(Ct);
        }

        // The device's push waits behind that row lock: its push is under way.
        await socket.SendAsync(SyncSocket.Message(new { type = "push", @ref = 2, workspace = workspaceId, key = Guid.NewGuid(), version = 1 }, [9]), Ct);
        await using (var db2 = await sync.Database.OpenAsync(Ct))
        {
            var blocked = await Eventually.Until(
                t => db2.QueryAsync("select count(*) from pg_stat_activity where $1 = any(pg_blocking_pids(pid))", r => r.GetInt64(0), t, other.ProcessID),
                rows => rows.Single() > 0, Wait, Ct);
            Assert.True(blocked.Single() > 0, "the device's push never waited on the other change's lock");
        }

        // Seq 1 is announced with its bytes while the push is under way (as the other replica's NOTIFY would bring it
        // once committed; here a moment before, so it surely arrives during the push), then committed.
        sync.Services.GetRequiredService<Services.Sync.Live.HeadNotifications>().Committed(workspaceId, 1, [5, 5, 5]);
        await transaction.CommitAsync(Ct);

        // Seq 1 goes out first, with its bytes, then the ack, whose cursor covers both: the device's own change is
        // neither sent back nor left to be read again from the store.
        var changes = await Expect(socket, "changes");
        Assert.Equal(1, Assert.Single(changes.Frames).Seq);
        Assert.Equal([5, 5, 5], changes.Frames[0].Data);
        var ack = await Expect(socket, "ack");
        Assert.Equal((2L, 2L), (ack.Long("seq"), ack.Long("cursor")));
    }

    [Fact]
    public async Task a_change_heard_only_as_a_head_reaches_a_device_whose_own_later_push_was_acknowledged_first()
    {
        // A session whose heartbeat never comes within the test, so only announcements can bring the change.
        var shared = sync.Services.GetRequiredService<SocketServices>();
        var options = new SyncOptions { HeartbeatEvery = TimeSpan.FromHours(1) };
        var services = shared with { Options = new FixedOptions(options) };
        var (workspaceId, _, master) = await sync.NewWorkspaceAsync();
        var device = new FakeDevice();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        // A hang guard: with the heartbeat an hour away, a change that is not sent on an announcement never comes.
        using var wait = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        wait.CancelAfter(Wait);
        var session = new SocketSession(device, services).RunAsync(stop.Token);
        device.Subscribe(workspaceId, master);
        await device.NextAsync("subscribed", wait.Token);

        // Seq 1 as another replica commits a change too large for its announcement to carry: stored, not announced yet.
        var limits = new MaxSchemaVersion.Limits(SyncService.MaxSchemaVersion, SyncService.MaxChangeBytes, SyncService.MaxWorkspaceBytes);
        await PushChange.AppendAsync(sync.Services.GetRequiredService<Npgsql.NpgsqlDataSource>(), workspaceId, new PushHeaders(Guid.NewGuid(), 1),
            new CheckedBody(Bytes(8 * 1024, 1), SyncSchema.OpaqueFormat), Guid.NewGuid(), limits, Ct);
        // The device's own push is seq 2: acknowledged with its cursor still at 0, since seq 1 has not been sent.
        device.Receive(SyncSocket.Message(new { type = "push", @ref = 2, workspace = workspaceId, key = Guid.NewGuid(), version = 1 }, [9]));
        var ack = await device.NextAsync("ack", wait.Token);
        Assert.Equal((2L, 0L), (ack.Long("seq"), ack.Long("cursor")));

        // Its own announcement is the only head heard, and it is enough: the device gets seq 1 (and 2 with it).
        var changes = await device.NextAsync("changes", wait.Token);
        Assert.Equal([1L, 2L], changes.Frames.Select(f => f.Seq));
        Assert.Equal(Bytes(8 * 1024, 1), changes.Frames[0].Data);
        await stop.CancelAsync();
        await session;
    }

    private sealed class FixedOptions(SyncOptions value) : Microsoft.Extensions.Options.IOptionsMonitor<SyncOptions>
    {
        public SyncOptions CurrentValue => value;
        public SyncOptions Get(string? name) => value;
        public IDisposable? OnChange(Action<SyncOptions, string?> listener) => null;
    }

    [Fact]
    public async Task each_socket_message_is_a_trace_of_its_own_with_the_database_work_under_it()
    {
        var (workspaceId, _, master) = await sync.NewWorkspaceAsync();
        var stopped = new System.Collections.Concurrent.ConcurrentQueue<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name is SocketTelemetry.SourceName or ChangeWriter.ActivitySourceName or "Npgsql",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = stopped.Enqueue,
        };
        ActivitySource.AddActivityListener(listener);
        await using var socket = await sync.OpenSocketAsync();
        await socket.SubscribeAsync(1, workspaceId, master, 0, Ct);
        await Expect(socket, "subscribed");
        await socket.PushAsync(2, workspaceId, Guid.NewGuid(), 1, Bytes(10, 1), Ct);
        await Expect(socket, "ack");
        await socket.PushAsync(3, workspaceId, Guid.NewGuid(), 99, Bytes(10, 2), Ct);
        await Expect(socket, "error");

        // A message's span ends when its handler returns, which is after its answer was queued to the socket: the answer
        // can reach the device first, so the second span is waited for, not read at once.
        var pushes = await Eventually.Until(
            _ => Task.FromResult(stopped.Where(a => a.OperationName == "socket push" && (string?)a.GetTagItem("syncengine.workspace") == workspaceId.ToString()).ToList()),
            spans => spans.Count == 2, Wait, Ct);
        Assert.Equal(2, pushes.Count);
        Assert.All(pushes, push => Assert.Equal(default, push.ParentSpanId));
        // The commit that stored the push, under it (or linked to it when other pushes shared the batch), and the
        // database work under the commit.
        var commit = Assert.Single(stopped, a => a.OperationName == "sync group commit"
            && (a.ParentSpanId == pushes[0].SpanId || a.Links.Any(l => l.Context.SpanId == pushes[0].SpanId)));
        Assert.Contains(stopped, a => a.Source.Name == "Npgsql" && a.ParentSpanId == commit.SpanId);
        Assert.Equal(("unknown-version", ActivityStatusCode.Error), ((string?)pushes[1].GetTagItem("syncengine.problem"), pushes[1].Status));
    }

    [Fact]
    public async Task what_no_announcement_told_reaches_subscriptions_at_the_next_audit_a_change_a_revocation_an_erasure()
    {
        var (workspaceId, owner, master) = await sync.NewWorkspaceAsync();
        var (client, tokenId, token) = sync.NewMember(workspaceId, "read_write");
        var (doomed, doomedOwner, doomedMaster) = await sync.NewWorkspaceAsync();
        await using var socket = await sync.OpenSocketAsync();
        await socket.SubscribeAsync(1, workspaceId, token, 0, Ct);
        await socket.SubscribeAsync(2, doomed, doomedMaster, 0, Ct);
        await Expect(socket, "subscribed");
        await Expect(socket, "subscribed");

        // Each written as its message handler or push would, but without the NOTIFY (as if the LISTEN connection dropped).
        var db = sync.Services.GetRequiredService<Npgsql.NpgsqlDataSource>();
        var limits = new MaxSchemaVersion.Limits(SyncService.MaxSchemaVersion, SyncService.MaxChangeBytes, SyncService.MaxWorkspaceBytes);
        await PushChange.AppendAsync(db, workspaceId, new PushHeaders(Guid.NewGuid(), 1), new CheckedBody(Bytes(20, 1), SyncSchema.OpaqueFormat),
            owner, limits, Ct);
        var changes = await Next(socket, "changes");
        Assert.Equal((workspaceId, 1L), (changes!.Workspace!.Value, Assert.Single(changes.Frames).Seq));

        await using (var session = sync.Services.GetRequiredService<Marten.IDocumentStore>().LightweightSession())
        {
            await SyncEngine.Backend.Security.RevocationStore.RecordRevocationAsync(session, workspaceId, client, DateTimeOffset.UtcNow, [tokenId], Ct);
            await session.SaveChangesAsync(Ct);
        }

        Assert.Equal(workspaceId, (await Next(socket, "revoked"))!.Workspace);

        await using (var session = sync.Services.GetRequiredService<Marten.IDocumentStore>().LightweightSession())
        {
            session.Store(new SyncEngine.Backend.Security.ErasedWorkspace { Id = doomed, ErasedAt = DateTimeOffset.UtcNow, ErasedBy = $"owner:{doomedOwner}" });
            await session.SaveChangesAsync(Ct);
        }

        Assert.Equal(doomed, (await Next(socket, "deleted"))!.Workspace);
    }

    [Fact]
    public async Task a_push_is_acknowledged_with_its_seq_once_stored_and_a_retry_with_its_key_stores_nothing()
    {
        var (workspaceId, _, master) = await sync.NewWorkspaceAsync();
        await using var socket = await sync.OpenSocketAsync();
        await socket.SubscribeAsync(1, workspaceId, master, after: 0, Ct);
        await Expect(socket, "subscribed");

        var key = Guid.NewGuid();
        await socket.PushAsync(2, workspaceId, key, 1, Bytes(30, 1), Ct);
        var ack = await Expect(socket, "ack");
        Assert.Equal((2L, 1L, false, 1L), (ack.Ref!.Value, ack.Long("seq"), ack.Header.GetProperty("replayed").GetBoolean(), ack.Long("cursor")));
        var pulled = await sync.Api.PullAsync(master, workspaceId, 0, Ct);
        Assert.Equal(Bytes(30, 1), Assert.Single(pulled.Frames).Data);

        await socket.PushAsync(3, workspaceId, key, 1, Bytes(30, 1), Ct);
        var replay = await Expect(socket, "ack");
        Assert.Equal((3L, 1L, true), (replay.Ref!.Value, replay.Long("seq"), replay.Header.GetProperty("replayed").GetBoolean()));

        await socket.PushAsync(4, workspaceId, key, 1, Bytes(30, 2), Ct);
        var conflict = await Expect(socket, "error");
        Assert.Equal((4L, 409, "idempotency-conflict"), (conflict.Ref!.Value, conflict.Status!.Value, conflict.Code));
        Assert.Equal(1, await HeadAsync(workspaceId, master));
    }

    [Fact]
    public async Task one_devices_push_reaches_the_other_with_its_bytes_and_is_not_sent_back_to_the_pusher()
    {
        var (workspaceId, _, master) = await sync.NewWorkspaceAsync();
        var (_, _, member) = sync.NewMember(workspaceId, "read_write");
        await using var first = await sync.OpenSocketAsync();
        await using var second = await sync.OpenSocketAsync();
        await first.SubscribeAsync(1, workspaceId, master, 0, Ct);
        await second.SubscribeAsync(1, workspaceId, member, 0, Ct);
        await Expect(first, "subscribed");
        await Expect(second, "subscribed");

        await first.PushAsync(2, workspaceId, Guid.NewGuid(), 1, Bytes(40, 1), Ct);
        Assert.Equal(1, (await Expect(first, "ack")).Long("cursor"));
        var received = await Expect(second, "changes");
        Assert.Equal(1L, Assert.Single(received.Frames).Seq);
        Assert.Equal(Bytes(40, 1), received.Frames[0].Data);

        await second.PushAsync(2, workspaceId, Guid.NewGuid(), 1, Bytes(40, 2), Ct);
        Assert.Equal(2, (await Expect(second, "ack")).Long("cursor"));
        // The first device's next message is the second's change, not its own echoed back.
        var next = await Expect(first, "changes");
        Assert.Equal(2, Assert.Single(next.Frames).Seq);
    }

    [Fact]
    public async Task pushes_from_many_sockets_at_once_are_all_stored_gap_free_and_every_device_can_follow_its_cursor_to_the_head()
    {
        var (workspaceId, _, _) = await sync.NewWorkspaceAsync();
        var sockets = new List<SyncSocket>();
        for (var i = 0; i < 6; i++)
        {
            // A device each: one token holds only Sync:MaxLiveStreamsPerToken subscriptions.
            var socket = await sync.OpenSocketAsync();
            await socket.SubscribeAsync(0, workspaceId, sync.NewMember(workspaceId, "read_write").Token, 0, Ct);
            await Expect(socket, "subscribed");
            sockets.Add(socket);
        }

        const int PerSocket = 20;
        var total = sockets.Count * PerSocket;
        try
        {
            // A device's cursor, as a client keeps it: each change it receives must be the one after its cursor, and an
            // ack moves it to the ack's cursor.
            static long Follow(long cursor, SyncSocketMessage message)
            {
                if (message.Type == "ack")
                {
                    return Math.Max(cursor, message.Long("cursor"));
                }

                foreach (var frame in message.Frames)
                {
                    Assert.Equal(cursor + 1, frame.Seq);
                    cursor = frame.Seq;
                }

                return cursor;
            }

            var devices = sockets.Select(async (socket, s) =>
            {
                var (acked, cursor) = (new List<long>(), 0L);
                for (var i = 0; i < PerSocket; i++)
                {
                    await socket.PushAsync(i, workspaceId, Guid.NewGuid(), 1, Bytes(16, s * 100 + i), Ct);
                    while (await socket.NextAnswerAsync() is { } message)
                    {
                        Assert.True(message.Type is "ack" or "changes", $"Unexpected {message.Type}: {message.Header}");
                        cursor = Follow(cursor, message);
                        if (message.Type == "ack")
                        {
                            acked.Add(message.Long("seq"));
                            break;
                        }
                    }
                }

                // Heartbeats do not count: only a change or an ack within the wait moves the device on.
                while (cursor < total && await socket.NextAsync(m => m.Type is "changes" or "ack", Wait, Ct) is { } more)
                {
                    cursor = Follow(cursor, more);
                }

                return (Acked: acked, Cursor: cursor);
            }).ToList();
            var results = await Task.WhenAll(devices);

            Assert.Equal(Enumerable.Range(1, total).Select(i => (long)i), results.SelectMany(r => r.Acked).Order());
            Assert.All(results, r => Assert.Equal(total, r.Cursor));
        }
        finally
        {
            foreach (var socket in sockets)
            {
                await socket.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task revocation_ends_the_workspaces_subscription_with_revoked_and_a_push_after_it_is_refused()
    {
        var (workspaceId, owner, master) = await sync.NewWorkspaceAsync();
        var (client, tokenId, token) = sync.NewMember(workspaceId, "read_write");
        var (other, _, otherMaster) = await sync.NewWorkspaceAsync();
        await using var socket = await sync.OpenSocketAsync();
        await socket.SubscribeAsync(1, workspaceId, token, 0, Ct);
        await socket.SubscribeAsync(2, other, otherMaster, 0, Ct);
        await Expect(socket, "subscribed");
        await Expect(socket, "subscribed");

        var revoking = Stopwatch.StartNew();
        await sync.InvokeAsync(new AccessRevoked(workspaceId, client, owner, DateTimeOffset.UtcNow, [tokenId]));
        var revoked = await Next(socket, "revoked");
        Assert.NotNull(revoked);
        Assert.Equal(workspaceId, revoked.Workspace);
        TestContext.Current.TestOutputHelper?.WriteLine($"revoked after {revoking.ElapsedMilliseconds} ms");

        await socket.PushAsync(3, workspaceId, Guid.NewGuid(), 1, Bytes(5, 1), Ct);
        var refused = await Next(socket, "error");
        Assert.Equal((3L, 401, "unauthorized"), (refused!.Ref!.Value, refused.Status!.Value, refused.Code));
        Assert.Equal(0, await HeadAsync(workspaceId, master));

        // The socket's other workspace goes on.
        await socket.PushAsync(4, other, Guid.NewGuid(), 1, Bytes(5, 2), Ct);
        Assert.Equal(1, (await Next(socket, "ack"))!.Long("seq"));
    }

    [Fact]
    public async Task erasure_ends_the_subscription_with_deleted_and_subscribing_again_is_410()
    {
        var (workspaceId, owner, master) = await sync.NewWorkspaceAsync();
        await using var socket = await sync.OpenSocketAsync();
        await socket.SubscribeAsync(1, workspaceId, master, 0, Ct);
        await Expect(socket, "subscribed");

        await sync.InvokeAsync(new WorkspaceErased(workspaceId, $"owner:{owner}", DateTimeOffset.UtcNow));
        Assert.Equal(workspaceId, (await Next(socket, "deleted"))!.Workspace);

        await socket.SubscribeAsync(2, workspaceId, master, 0, Ct);
        var gone = await Next(socket, "error");
        Assert.Equal((2L, 410, "workspace-deleted"), (gone!.Ref!.Value, gone.Status!.Value, gone.Code));
    }

    [Fact]
    public async Task a_token_that_expires_ends_its_subscription_with_revoked()
    {
        var (workspaceId, _, _) = await sync.NewWorkspaceAsync();
        var (_, _, token) = sync.NewMember(workspaceId, "read", expires: DateTimeOffset.UtcNow.AddSeconds(2));
        await using var socket = await sync.OpenSocketAsync();
        await socket.SubscribeAsync(1, workspaceId, token, 0, Ct);
        await Expect(socket, "subscribed");
        Assert.Equal(workspaceId, (await Next(socket, "revoked"))!.Workspace);
    }

    [Fact]
    public async Task an_idle_socket_gets_a_heartbeat_every_interval_and_its_subscriptions_go_on()
    {
        var (workspaceId, _, master) = await sync.NewWorkspaceAsync();
        await using var socket = await sync.OpenSocketAsync();
        await socket.SubscribeAsync(1, workspaceId, master, 0, Ct);
        await Expect(socket, "subscribed");

        // Nothing else happens, so the next messages are heartbeats (Sync:HeartbeatEvery is 1 s here): a header with
        // its type alone, no payload (docs/protocol.md).
        for (var beat = 0; beat < 2; beat++)
        {
            var heartbeat = await socket.NextAsync(_ => true, Wait, Ct);
            Assert.NotNull(heartbeat);
            Assert.Equal("heartbeat", heartbeat.Type);
            Assert.Equal("type", Assert.Single(heartbeat.Header.EnumerateObject()).Name);
            Assert.Empty(heartbeat.Payload);
        }

        await sync.Api.PushAsync(master, workspaceId, [1], Guid.NewGuid(), 1, Ct);
        Assert.Equal(1, Assert.Single((await Expect(socket, "changes")).Frames).Seq);
    }

    [Fact]
    public async Task unsubscribe_is_answered_and_stops_the_workspaces_changes()
    {
        var (workspaceId, _, master) = await sync.NewWorkspaceAsync();
        var (other, _, otherMaster) = await sync.NewWorkspaceAsync();
        await using var socket = await sync.OpenSocketAsync();
        await socket.SubscribeAsync(1, workspaceId, master, 0, Ct);
        await socket.SubscribeAsync(2, other, otherMaster, 0, Ct);
        await Expect(socket, "subscribed");
        await Expect(socket, "subscribed");
        await socket.UnsubscribeAsync(3, workspaceId, Ct);
        var ended = await Expect(socket, "unsubscribed");
        Assert.Equal((3L, workspaceId), (ended.Ref!.Value, ended.Workspace!.Value));

        await sync.Api.PushAsync(master, workspaceId, [1], Guid.NewGuid(), 1, Ct);
        await sync.Api.PushAsync(otherMaster, other, [2], Guid.NewGuid(), 1, Ct);
        // Only the other workspace's change arrives.
        var changes = await Expect(socket, "changes");
        Assert.Equal(other, changes.Workspace);
    }
}
