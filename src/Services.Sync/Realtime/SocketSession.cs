using System.Buffers;
using System.Globalization;
using System.Net.WebSockets;
using System.Security.Claims;
using System.Threading.Channels;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Mvc;
using Services.Sync.Changes;
using Services.Sync.Live;
using SyncEngine.Backend.Apps;
using SyncEngine.Backend.Security;
using SyncEngine.ServiceDefaults.Problems;
using SyncEngine.Tokens;

namespace Services.Sync.Realtime;

/// <summary>
/// One device's socket (docs/protocol.md, "Realtime channel"). Three loops: the receive loop reads the device's messages
/// one at a time (a push is acknowledged after its commit, so a socket's pushes commit in the order sent); the send
/// loop is the only writer to the socket and keeps each workspace's changes gap-free and in order (it alone moves a
/// subscription's cursor); the heartbeat tells the device the socket lives and ends subscriptions whose token expired
/// or whose app was suspended (lost announcements, revocations and erasures are caught by the replica-wide LiveAudit,
/// one round trip for every subscription). What waits to be sent is bounded in bytes: a device that does not read is disconnected rather than let the
/// server's memory grow, and resumes from its cursor.
/// </summary>
/// <param name="crossOrigin">The browser origin the socket was opened from, when the gateway let a cross-origin upgrade through.</param>
public sealed class SocketSession(WebSocket socket, SocketServices services, string? crossOrigin = null)
{
    private readonly Dictionary<Guid, Subscription> _subscriptions = [];
    private readonly List<Subscription> _all = [];
    private readonly Lock _lock = new();
    private readonly Channel<Outgoing> _outgoing = Channel.CreateUnbounded<Outgoing>(new UnboundedChannelOptions { SingleReader = true });
    private readonly CancellationTokenSource _closing = new();

    /// <summary>
    /// Ends a send under way: only a grace period after a requested close. Cancelling a send aborts a real WebSocket, so
    /// a send that has its bytes out is let finish and the close frame follows it.
    /// </summary>
    private readonly CancellationTokenSource _sendCut = new();
    private long _queuedBytes;

    /// <summary>Bytes of changes held back for pushes' answers (<see cref="Subscription.HeldBack"/>); the send loop's alone.</summary>
    private long _heldBackBytes;

    /// <summary>Most bytes held back on one socket; beyond it a change is read back from the store when the push ends.</summary>
    private const int HeldBackBytesAtMost = 1024 * 1024;
    private (WebSocketCloseStatus Status, string Reason)? _close;
    private SyncOptions Options => services.Options.CurrentValue;

    /// <summary>The upgrade request's span, which every message's own trace links to.</summary>
    private readonly System.Diagnostics.ActivityContext _connection = System.Diagnostics.Activity.Current?.Context ?? default;

    public async Task RunAsync(CancellationToken stopping)
    {
        using var stop = stopping.Register(() => RequestClose(WebSocketCloseStatus.EndpointUnavailable, "The server is stopping; reconnect."));
        var ct = _closing.Token;
        var sending = SendLoopAsync(ct);
        var beating = HeartbeatLoopAsync(ct);
        // A requested close does not cancel the pending receive: cancelling it aborts a real WebSocket (Kestrel's), and
        // the close frame could no longer go out. The frame is sent while the receive waits; the device's answering
        // close ends the receive loop, and a device that does not answer is cut off after a grace period.
        using var receiving = new CancellationTokenSource();
        // A send still under way when the close is decided gets the grace period, then is cut.
        using var cut = ct.Register(() => _sendCut.CancelAfter(CloseGrace));
        var closer = CloseWhenRequestedAsync(sending, beating, receiving);
        try
        {
            await ReceiveLoopAsync(receiving.Token, ct);
        }
        catch (Exception e) when (e is OperationCanceledException or WebSocketException)
        {
            // Closed by the device, the network, or a close requested below.
        }
        catch (Exception e)
        {
            services.Logger.LogError(e, "A sync socket failed");
            RequestClose(WebSocketCloseStatus.InternalServerError, "The server failed; reconnect and subscribe from your cursors.");
        }
        finally
        {
            await _closing.CancelAsync();
            await closer;
            _sendCut.Dispose();
            List<Subscription> all;
            lock (_lock)
            {
                all = [.. _all];
                _subscriptions.Clear();
            }

            foreach (var subscription in all)
            {
                Release(subscription);
            }

            _closing.Dispose();
        }
    }

    /// <summary>
    /// The send and heartbeat loops end only once a close is decided (<c>_closing</c>); then the close frame goes out and
    /// the receive gets a grace period.
    /// </summary>
    private async Task CloseWhenRequestedAsync(Task sending, Task beating, CancellationTokenSource receiving)
    {
        await Task.WhenAll(sending, beating);
        await CloseAsync();
        receiving.CancelAfter(CloseGrace);
    }

    /// <summary>How long a device has to answer the server's close frame before its connection is cut.</summary>
    private static readonly TimeSpan CloseGrace = TimeSpan.FromSeconds(2);

    // ---- receiving ----

    /// <param name="receiving">Ends the receive itself (aborting the socket): only after the close frame's grace period.</param>
    /// <param name="ct">Cancelled once the socket is closing: messages that still arrive are read and dropped.</param>
    private async Task ReceiveLoopAsync(CancellationToken receiving, CancellationToken ct)
    {
        var maxMessage = 2 + SocketMessages.MaxHeaderBytes + Options.MaxChangeBytes;
        var message = new ArrayBufferWriter<byte>(16 * 1024);
        var window = (Start: services.Clock.GetUtcNow(), Count: 0);
        while (!receiving.IsCancellationRequested)
        {
            message.ResetWrittenCount();
            ValueWebSocketReceiveResult received;
            do
            {
                received = await socket.ReceiveAsync(message.GetMemory(16 * 1024), receiving);
                if (received.MessageType == WebSocketMessageType.Close)
                {
                    RequestClose(WebSocketCloseStatus.NormalClosure, "");
                    return;
                }

                message.Advance(received.Count);
                if (message.WrittenCount > maxMessage)
                {
                    RequestClose(WebSocketCloseStatus.MessageTooBig, $"A message is at most {maxMessage} bytes.");
                    return;
                }
            }
            while (!received.EndOfMessage);

            if (ct.IsCancellationRequested)
            {
                // Closing: the close frame is out or going; what the device sent meanwhile is not answered.
                continue;
            }

            // Floods: every message costs a parse and an answer at least, so a socket gets a budget per second.
            var now = services.Clock.GetUtcNow();
            window = now - window.Start >= TimeSpan.FromSeconds(1) ? (now, 1) : (window.Start, window.Count + 1);
            if (window.Count > Options.SocketMessagesPerSecond)
            {
                RequestClose(TooManyMessages, $"More than {Options.SocketMessagesPerSecond} messages in a second.");
                return;
            }

            if (received.MessageType == WebSocketMessageType.Text)
            {
                Send(SocketMessages.Error(SyncProblems.Invalid("Messages are binary (docs/protocol.md, \"Realtime channel\"), never text."), null, null));
            }
            else
            {
                await HandleAsync(message.WrittenMemory, ct);
            }

            if (message.Capacity > 256 * 1024)
            {
                // One large push must not keep megabytes per idle socket.
                message = new ArrayBufferWriter<byte>(16 * 1024);
            }
        }
    }

    private async Task HandleAsync(ReadOnlyMemory<byte> message, CancellationToken ct)
    {
        var (request, unreadable) = SocketMessages.Parse(message);
        using var activity = SocketTelemetry.Start($"socket {request?.Type ?? "message"}", _connection, request?.Workspace ?? unreadable?.Workspace);
        if (request is null)
        {
            services.Metrics.Rejected(ProblemCodes.InvalidRequest);
            SocketTelemetry.Refused(activity, ProblemCodes.InvalidRequest);
            Send(SocketMessages.Error(unreadable!.Problem, unreadable.Ref, unreadable.Workspace));
            return;
        }

        ProblemDetails? problem;
        try
        {
            problem = request.Type switch
            {
                SocketMessages.Subscribe => await SubscribeAsync(request, ct),
                SocketMessages.Push => await PushAsync(request, ct),
                _ => Unsubscribe(request),
            };
        }
        catch (Exception e) when (ErasedWorkspaceFault.ProblemOf(e) is { } gone)
        {
            problem = gone;
        }
        catch (Exception e) when (DatabaseOutage.Is(e) && !ct.IsCancellationRequested)
        {
            services.Logger.LogWarning(e, "Database unavailable for a socket's {Type}", request.Type);
            problem = Problem.Create(StatusCodes.Status503ServiceUnavailable, ProblemCodes.Unavailable,
                $"The database cannot be reached right now. Send the {request.Type} again in a few seconds (a push with the same key).");
        }

        if (problem is not null)
        {
            services.Metrics.Rejected(problem.Extensions["code"] as string ?? ProblemCodes.InvalidRequest);
            SocketTelemetry.Refused(activity, problem.Extensions["code"] as string ?? ProblemCodes.InvalidRequest);
            Send(SocketMessages.Error(problem, request.Ref, request.Workspace));
        }
    }

    /// <summary>Checks as the HTTP routes do, in their order (docs/protocol.md, "Which error wins"), then follows the workspace.</summary>
    private async Task<ProblemDetails?> SubscribeAsync(SocketMessages.Request request, CancellationToken ct)
    {
        var workspaceId = request.Workspace;
        if (await IsErasedAsync(workspaceId, ct))
        {
            return ErasedWorkspaceFault.ProblemOf(new ErasedWorkspaceException(workspaceId));
        }

        var (user, refused) = await AuthenticateAsync(request.Token!, ct);
        if (user is null)
        {
            return TokenValidation.Unauthorized(refused!);
        }

        var holder = TokenHolder.From(user)!;
        if (holder.WorkspaceId != workspaceId)
        {
            return TokenValidation.Forbidden("This token is another workspace's.");
        }

        if (AppEnforcement.Refuse(holder.AppId, services.Apps) is { } appProblem)
        {
            return appProblem;
        }

        // As on the HTTP routes: a browser on another origin uses only the tokens of an app that lists that origin.
        if (crossOrigin is not null
            && (services.Apps.Find(holder.AppId) is not { } known || !known.Settings.AllowedOrigins.Any(o => string.Equals(o.TrimEnd('/'), crossOrigin, StringComparison.OrdinalIgnoreCase))))
        {
            return TokenValidation.Forbidden($"This token's app does not list the origin {crossOrigin} in its allowedOrigins.");
        }

        lock (_lock)
        {
            if (!_subscriptions.ContainsKey(workspaceId) && _subscriptions.Count >= Options.MaxSubscriptionsPerSocket)
            {
                return QuotaProblem.Create(MaxSubscriptionsPerSocket, Options.MaxSubscriptionsPerSocket, _subscriptions.Count,
                    $"This socket follows {_subscriptions.Count} workspaces, its limit; unsubscribe one first, or open another socket.");
            }
        }

        // The same workspace again (a new token, a new cursor): the new subscription replaces the old without a word.
        if (Find(workspaceId) is { } replaced)
        {
            End(replaced, type: null);
            Release(replaced);
        }

        var live = services.Notifications.Subscribe(workspaceId, holder.ClientId, holder.TokenId, holder.AppId,
            DateTimeOffset.FromUnixTimeSeconds(long.Parse(user.FindFirstValue(TokenClaims.IssuedAt)!, CultureInfo.InvariantCulture)));
        var perClient = services.AppLimits.For(user).MaxLiveStreamsPerClient;
        var admission = services.StreamLimit.TryAdmit(live, perClient, out var used);
        if (admission is null)
        {
            live.Dispose();
            return LiveEvents.ClientOverQuota(perClient!.Value, used);
        }

        var app = holder.AppId ?? (services.Apps.DefaultAppId.Length > 0 ? services.Apps.DefaultAppId : null);
        var subscription = new Subscription(workspaceId, request.Ref, user, holder, app, live, admission, request.After);
        // Every head heard queues a catch-up (they coalesce); it reads the store only if the head is still beyond what
        // was sent when its turn comes, so one already delivered with its bytes (or acknowledged) costs nothing.
        live.OnHead = seq =>
        {
            subscription.Heard(seq);
            QueueCatchUp(subscription);
        };
        live.OnCommitted = (seq, data) =>
        {
            subscription.Heard(seq);
            if (data.Length <= LiveBytesAtMost)
            {
                Enqueue(new Live(subscription, seq, data));
            }
            else
            {
                // A large change is read from the store as it is sent, so it never waits in memory, nor fills the queue alone.
                QueueCatchUp(subscription);
            }
        };
        lock (_lock)
        {
            _subscriptions[workspaceId] = subscription;
            _all.Add(subscription);
        }

        // Watched once it is registered: an end that fires at once (a token past exp within the clock skew) must find it.
        subscription.Watch(live.Revoked.Register(() => End(subscription,
            live.Erased ? "deleted" : live.AppSuspended ? "app-suspended" : "revoked")));
        subscription.Watch(live.Superseded.Register(() => End(subscription, "unsubscribed")));
        if (long.TryParse(user.FindFirstValue("exp"), out var exp))
        {
            subscription.Expires = DateTimeOffset.FromUnixTimeSeconds(exp);
            var left = subscription.Expires.Value - services.Clock.GetUtcNow();
            if (left < MaxTimer)
            {
                subscription.EndAfter(left <= TimeSpan.Zero ? TimeSpan.Zero : left, () => End(subscription, "revoked"));
            }
        }

        services.Metrics.SubscriberOpened(app);
        QueueCatchUp(subscription);
        return null;
    }

    private ProblemDetails? Unsubscribe(SocketMessages.Request request)
    {
        if (Find(request.Workspace) is { } subscription)
        {
            End(subscription, "unsubscribed", request.Ref);
            // Released now, not once the answer is sent: a device that subscribes again as soon as it reads the answer
            // must find the stream already uncounted (maxLiveStreamsPerClient; a clean-clone run was refused otherwise).
            Release(subscription);
        }
        else
        {
            Send(SocketMessages.Ended("unsubscribed", request.Workspace, request.Ref));
        }

        return null;
    }

    /// <summary>A push is checked as the HTTP route checks it, token included (a socket outlives tokens), then appended.</summary>
    private async Task<ProblemDetails?> PushAsync(SocketMessages.Request request, CancellationToken ct)
    {
        var workspaceId = request.Workspace;
        if (await IsErasedAsync(workspaceId, ct))
        {
            return ErasedWorkspaceFault.ProblemOf(new ErasedWorkspaceException(workspaceId));
        }

        if (Find(workspaceId) is not { } subscription)
        {
            return TokenValidation.Unauthorized("This socket holds no token for the workspace: subscribe to it first.");
        }

        if (services.Clock.GetUtcNow() >= subscription.Expires)
        {
            End(subscription, "revoked");
            return TokenValidation.Unauthorized("The token has expired.");
        }

        if (await RefusesAsync(subscription, ct))
        {
            End(subscription, "revoked");
            return TokenValidation.Unauthorized("The token has been revoked.");
        }

        if (!subscription.Holder.CanWrite)
        {
            return TokenValidation.Forbidden("This token is read-only.");
        }

        if (AppEnforcement.Refuse(subscription.Holder.AppId, services.Apps) is { } appProblem)
        {
            return appProblem;
        }

        var limits = services.AppLimits.For(subscription.User);
        if (PushChange.Validate(request.Key, request.Version, limits.MaxSchemaVersion).IsInvalid(out var problem, out var headers))
        {
            return problem;
        }

        var max = limits.MaxChangeBytes;
        var data = request.Payload.Length > max ? null : request.Payload.ToArray();
        if (RequestBody.Check(data, max, LoroEnvelope.Mode.FastUpdates, "A change cannot be empty.").IsInvalid(out problem, out var body))
        {
            return problem;
        }

        // From here until its answer is sent, nothing else goes to the subscription: the commit may be seen (by an
        // announcement or the audit) before the ack is queued, and a catch-up then would send the change back.
        subscription.PushStarted();
        PushOutcome outcome;
        try
        {
            outcome = await services.Writer.AppendAsync(workspaceId, headers, body, subscription.Holder.ClientId, limits, ct);
        }
        catch
        {
            Enqueue(new PushEnded(subscription));
            throw;
        }

        switch (outcome)
        {
            case PushOutcome.Appended(var seq):
                services.Metrics.Pushed(body.Data.Length, limits.AppId);
                services.Usage.Pushed(limits.AppId, body.Data.Length);
                subscription.Heard(seq);
                // The ack is queued before the announcement goes out, so the catch-up the announcement queues comes
                // after it and finds the device's own change acknowledged (when it was the next the device lacked).
                Enqueue(new Acked(subscription, request.Ref, seq, Replayed: false));
                services.Notifications.Committed(workspaceId, seq, body.Data, subscription.Live);
                services.Announcer.Announce(workspaceId, seq, body.Data);
                return null;
            case PushOutcome.Replayed(var seq):
                Enqueue(new Acked(subscription, request.Ref, seq, Replayed: true));
                return null;
            default:
                Enqueue(new PushEnded(subscription));
                return PushChange.Refusal(outcome, headers, limits);
        }
    }

    // ---- sending ----

    private abstract record Outgoing(int Cost);

    /// <summary>A message ready to send; when it ends a subscription, that subscription is released once it is sent.</summary>
    private sealed record Message(byte[] Bytes, Subscription? Ending = null) : Outgoing(Bytes.Length);

    /// <summary>Send the subscription what it lacks, read from the store (and first its <c>subscribed</c>).</summary>
    private sealed record CatchUp(Subscription Subscription) : Outgoing(ControlBytes);

    /// <summary>A change this replica committed, with its bytes: sent as is when it is the next the subscription lacks.</summary>
    private sealed record Live(Subscription Subscription, long Seq, byte[] Data) : Outgoing(Data.Length + ControlBytes);

    /// <summary>A push's answer: its ack, which also ends the push (<see cref="Subscription.IsPushing"/>).</summary>
    private sealed record Acked(Subscription Subscription, long Ref, long Seq, bool Replayed) : Outgoing(ControlBytes);

    /// <summary>A push that ended without an ack (refused or failed): ends it, as <see cref="Acked"/> would.</summary>
    private sealed record PushEnded(Subscription Subscription) : Outgoing(0);

    /// <summary>Changes up to this size wait in the send queue with their bytes; larger ones are read back when sent.</summary>
    private const int LiveBytesAtMost = 64 * 1024;

    /// <summary>What an item without document bytes is counted as against the send queue's bound.</summary>
    private const int ControlBytes = 128;

    private void Send(byte[] message) => Enqueue(new Message(message));

    private void Enqueue(Outgoing item)
    {
        if (Interlocked.Add(ref _queuedBytes, item.Cost) > Options.SocketSendQueueBytes)
        {
            RequestClose(TooSlow, $"More than {Options.SocketSendQueueBytes} bytes waited to be sent: reconnect and subscribe from your cursors.");
            return;
        }

        _outgoing.Writer.TryWrite(item);
    }

    private void QueueCatchUp(Subscription subscription)
    {
        if (subscription.TryQueueCatchUp())
        {
            Enqueue(new CatchUp(subscription));
        }
    }

    private async Task SendLoopAsync(CancellationToken ct)
    {
        try
        {
            while (await _outgoing.Reader.WaitToReadAsync(ct))
            {
                // Not past a requested close: after a catch-up broke off mid-message, anything sent would continue it.
                while (!ct.IsCancellationRequested && _outgoing.Reader.TryRead(out var item))
                {
                    await SendAsync(item, ct);
                    Interlocked.Add(ref _queuedBytes, -item.Cost);
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or WebSocketException)
        {
        }
        catch (Exception e)
        {
            services.Logger.LogError(e, "A sync socket's sending failed");
            RequestClose(WebSocketCloseStatus.InternalServerError, "The server failed; reconnect and subscribe from your cursors.");
        }
    }

    private async Task SendAsync(Outgoing item, CancellationToken ct)
    {
        switch (item)
        {
            case Message(var bytes, var ending):
                // Released before its end message goes out: a device that reads `unsubscribed` and subscribes again
                // at once must find the room it made (its app's streams per client, its token's streams).
                if (ending is not null)
                {
                    Release(ending);
                }

                await socket.SendAsync(bytes, WebSocketMessageType.Binary, endOfMessage: true, _sendCut.Token);
                break;
            case CatchUp(var subscription) when !subscription.IsEnded:
                subscription.CatchUpTaken();
                if (subscription.Started && subscription.IsPushing)
                {
                    subscription.CatchUpDeferred = true;
                }
                else if (!subscription.Started || subscription.Known > subscription.LastSent)
                {
                    await CatchUpAsync(subscription, ct);
                }

                break;
            case Live(var subscription, var seq, var data) when !subscription.IsEnded && subscription.Started:
                if (subscription.IsPushing)
                {
                    // Held with its bytes for the push's answer (a device pushing all the time would otherwise have
                    // every change of its partners read back from the store); beyond the socket's bound, read back.
                    if (seq > subscription.LastSent && _heldBackBytes + data.Length <= HeldBackBytesAtMost)
                    {
                        (subscription.HeldBack ??= []).Add((seq, data));
                        _heldBackBytes += data.Length;
                    }
                    else if (seq > subscription.LastSent)
                    {
                        subscription.CatchUpDeferred = true;
                    }
                }
                else if (seq == subscription.LastSent + 1)
                {
                    await SendNextChangeAsync(subscription, seq, data, ct);
                }
                else if (seq > subscription.LastSent)
                {
                    // An earlier change is still on its way (or came from another replica): read them all in order.
                    await CatchUpAsync(subscription, ct);
                }

                break;
            case Acked(var subscription, var reference, var seq, var replayed):
                if (subscription.PushesUnderWay == 1)
                {
                    // The only push under way: the changes committed before it, held meanwhile, go first, in order, so
                    // its own seq can follow them. (With another push under way, a held one may be that push's own.)
                    await SendHeldBackAsync(subscription, before: seq, ct);
                }

                // The device holds the bytes it pushed: where its change is the next it lacks, its cursor moves past it
                // without the change being sent back.
                if (subscription.Started && seq == subscription.LastSent + 1)
                {
                    subscription.LastSent = seq;
                }

                await socket.SendAsync(SocketMessages.Ack(reference, subscription.WorkspaceId, seq, replayed, subscription.LastSent),
                    WebSocketMessageType.Binary, true, _sendCut.Token);
                await PushEndedAsync(subscription, ct);
                break;
            case PushEnded(var subscription):
                await PushEndedAsync(subscription, ct);
                break;
        }
    }

    /// <summary>Sends what a catch-up held back during the push, once no push of the subscription is under way.</summary>
    private async Task PushEndedAsync(Subscription subscription, CancellationToken ct)
    {
        subscription.PushSettled();
        if (subscription.IsPushing)
        {
            return;
        }

        await SendHeldBackAsync(subscription, before: long.MaxValue, ct);
        if (subscription.CatchUpDeferred)
        {
            subscription.CatchUpDeferred = false;
            if (!subscription.IsEnded && subscription.Known > subscription.LastSent)
            {
                await CatchUpAsync(subscription, ct);
            }
        }
    }

    /// <summary>
    /// Sends the held-back changes below <paramref name="before"/> that follow on from what was sent; one past a gap
    /// (an earlier change still on its way) leaves the rest to a catch-up from the store.
    /// </summary>
    private async Task SendHeldBackAsync(Subscription subscription, long before, CancellationToken ct)
    {
        if (subscription.HeldBack is not { Count: > 0 } held)
        {
            return;
        }

        held.Sort((a, b) => a.Seq.CompareTo(b.Seq));
        var taken = 0;
        try
        {
            foreach (var (seq, data) in held)
            {
                if (seq >= before)
                {
                    break;
                }

                taken++;
                _heldBackBytes -= data.Length;
                if (subscription.IsEnded || seq <= subscription.LastSent)
                {
                    continue;
                }

                if (seq == subscription.LastSent + 1)
                {
                    await SendNextChangeAsync(subscription, seq, data, ct);
                }
                else
                {
                    subscription.CatchUpDeferred = true;
                }
            }
        }
        finally
        {
            held.RemoveRange(0, taken);
        }
    }

    /// <summary>Sends a change the subscription lacks next, with the bytes it came with.</summary>
    private async Task SendNextChangeAsync(Subscription subscription, long seq, byte[] data, CancellationToken ct)
    {
        await socket.SendAsync(SocketMessages.OneChange(subscription.WorkspaceId, seq, data), WebSocketMessageType.Binary, true, _sendCut.Token);
        subscription.LastSent = seq;
        Delivered(subscription, ChangeFrames.HeaderLength + data.Length);
    }

    private async Task CatchUpAsync(Subscription subscription, CancellationToken ct)
    {
        using var activity = SocketTelemetry.Start("socket catch-up", _connection, subscription.WorkspaceId);
        if (subscription.Started && await SendNextPageAsync(subscription, ct))
        {
            return;
        }

        PullChanges.Start plan;
        try
        {
            plan = await PullChanges.PlanAsync(services.Db, subscription.WorkspaceId, subscription.LastSent, ct);
        }
        catch (ErasedWorkspaceException)
        {
            End(subscription, "deleted");
            return;
        }
        catch (Exception e) when (DatabaseOutage.Is(e) && !ct.IsCancellationRequested)
        {
            services.Logger.LogWarning(e, "Database unavailable for a socket's catch-up");
            if (!subscription.Started)
            {
                // Nothing was promised yet: say so, and let the device subscribe again.
                End(subscription, type: null);
                Release(subscription);
                Send(SocketMessages.Error(Problem.Create(StatusCodes.Status503ServiceUnavailable, ProblemCodes.Unavailable,
                    "The database cannot be reached right now. Subscribe again in a few seconds."), subscription.Ref, subscription.WorkspaceId));
            }

            // A subscription that runs catches up at its next announcement or heartbeat.
            return;
        }

        if (!subscription.Started)
        {
            await socket.SendAsync(SocketMessages.Subscribed(subscription.Ref, subscription.WorkspaceId, plan.Head, plan.Version),
                WebSocketMessageType.Binary, true, _sendCut.Token);
            subscription.Started = true;
        }

        if (plan.Plan is PullPlan.UpToDate)
        {
            return;
        }

        var stream = new SocketMessageStream(socket, _sendCut.Token);
        await stream.WriteAsync(SocketMessages.ChangesHeader(subscription.WorkspaceId, plan.Head), ct);
        var written = await PullChanges.WriteFramesAsync(services.Db, subscription.WorkspaceId, subscription.LastSent, plan, stream, ct);
        if (written.BrokenOff)
        {
            // Half a message is out and cannot be taken back. The close frame may come between a message's fragments
            // (a control frame, RFC 6455 5.4): the device drops the half with the socket, resubscribes, and knows why.
            // Nothing else is sent meanwhile: every send is the send loop's, which stops at a requested close.
            RequestClose(Resubscribe, "The changes being sent were compacted meanwhile; reconnect and subscribe from your cursors.");
            return;
        }

        await stream.EndAsync(ct);
        subscription.LastSent = written.LastSeq;
        Delivered(subscription, written.Bytes);
    }

    /// <summary>
    /// The common catch-up of a running subscription — a few changes from another replica — in one query: the changes
    /// after its cursor, one page of them, sent when they follow it without a gap. False when the pull's own plan must
    /// decide (a pruned gap, which needs the snapshot); true when sent, or when there was nothing to send.
    /// </summary>
    private async Task<bool> SendNextPageAsync(Subscription subscription, CancellationToken ct)
    {
        List<(long Seq, byte[] Data)> page;
        try
        {
            page = await PullChanges.PageAsync(services.Db, subscription.WorkspaceId, subscription.LastSent, long.MaxValue, ct);
        }
        catch (Exception e) when (DatabaseOutage.Is(e) && !ct.IsCancellationRequested)
        {
            services.Logger.LogWarning(e, "Database unavailable for a socket's catch-up");
            return true; // The next announcement or heartbeat tries again.
        }

        if (page.Count == 0)
        {
            return true;
        }

        for (var i = 0; i < page.Count; i++)
        {
            if (page[i].Seq != subscription.LastSent + 1 + i)
            {
                return false;
            }
        }

        var stream = new SocketMessageStream(socket, _sendCut.Token);
        await stream.WriteAsync(SocketMessages.ChangesHeader(subscription.WorkspaceId, page[^1].Seq), ct);
        long bytes = 0;
        foreach (var (seq, data) in page)
        {
            bytes += await ChangeFrames.WriteAsync(stream, ChangeFrames.Change, seq, data, ct);
        }

        await stream.EndAsync(ct);
        subscription.LastSent = page[^1].Seq;
        Delivered(subscription, bytes);
        if (subscription.Known > subscription.LastSent)
        {
            // One page was not all of it.
            QueueCatchUp(subscription);
        }

        return true;
    }

    private void Delivered(Subscription subscription, long bytes)
    {
        services.Metrics.Pulled(bytes, subscription.App);
        services.Usage.Pulled(subscription.App, bytes);
    }

    // ---- heartbeat and ends ----

    private async Task HeartbeatLoopAsync(CancellationToken ct)
    {
        try
        {
            using var timer = new PeriodicTimer(Options.HeartbeatEvery, services.Clock);
            while (await timer.WaitForNextTickAsync(ct))
            {
                Send(SocketMessages.Heartbeat);
                List<Subscription> subscriptions;
                lock (_lock)
                {
                    subscriptions = [.. _subscriptions.Values];
                }

                foreach (var subscription in subscriptions)
                {
                    Check(subscription);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>
    /// What needs no database: the token's expiry and its app's suspension (the directory is in memory). Lost
    /// announcements, revocations and erasures are the replica-wide audit's (LiveAudit), one round trip for all.
    /// </summary>
    private void Check(Subscription subscription)
    {
        if (services.Apps.Find(subscription.Holder.AppId) is { Settings.Suspended: true })
        {
            End(subscription, "app-suspended");
        }
        else if (services.Clock.GetUtcNow() >= subscription.Expires)
        {
            End(subscription, "revoked");
        }
    }

    /// <summary>
    /// Ends a subscription once: it is forgotten at once (pushes to it are refused from now on), its end message is
    /// queued behind what was already queued for it (which is skipped), and it is released as that message goes out.
    /// A null <paramref name="type"/> ends it without a message; the caller then releases it.
    /// </summary>
    private void End(Subscription subscription, string? type, long? reference = null)
    {
        if (!subscription.TryEnd())
        {
            return;
        }

        lock (_lock)
        {
            if (_subscriptions.TryGetValue(subscription.WorkspaceId, out var current) && current == subscription)
            {
                _subscriptions.Remove(subscription.WorkspaceId);
            }
        }

        if (type is not null)
        {
            Enqueue(new Message(SocketMessages.Ended(type, subscription.WorkspaceId, reference), subscription));
        }
    }

    private void Release(Subscription subscription)
    {
        lock (_lock)
        {
            _all.Remove(subscription);
        }

        if (subscription.TryRelease())
        {
            services.Metrics.SubscriberClosed(subscription.App);
        }
    }

    private Subscription? Find(Guid workspaceId)
    {
        lock (_lock)
        {
            return _subscriptions.GetValueOrDefault(workspaceId);
        }
    }

    private void RequestClose(WebSocketCloseStatus status, string reason)
    {
        lock (_lock)
        {
            _close ??= (status, reason);
        }

        try
        {
            _closing.Cancel();
        }
        catch (ObjectDisposedException)
        {
        }
    }

    private async Task CloseAsync()
    {
        var (status, reason) = _close ?? (WebSocketCloseStatus.NormalClosure, "");
        if (socket.State is not (WebSocketState.Open or WebSocketState.CloseReceived))
        {
            return;
        }

        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            await socket.CloseOutputAsync(status, reason, timeout.Token);
        }
        catch (Exception e) when (e is OperationCanceledException or WebSocketException)
        {
            // A device that stopped reading does not get its close frame; the connection is dropped all the same.
        }
    }

    // ---- checks the HTTP pipeline makes, made here per message ----

    private async Task<bool> IsErasedAsync(Guid workspaceId, CancellationToken ct)
    {
        await using var scope = services.Scopes.CreateAsyncScope();
        return await services.Erased.IsErasedAsync(scope.ServiceProvider, workspaceId, ct);
    }

    private async Task<bool> RefusesAsync(Subscription subscription, CancellationToken ct)
    {
        await using var scope = services.Scopes.CreateAsyncScope();
        return await services.Revocations.RefusesAsync(scope.ServiceProvider, subscription.Holder, subscription.IssuedAt, ct);
    }

    /// <summary>The token through the same JwtBearer handler as every HTTP route: signature, claims, lifetime, revocation.</summary>
    private async Task<(ClaimsPrincipal? User, string? Refused)> AuthenticateAsync(string token, CancellationToken ct)
    {
        await using var scope = services.Scopes.CreateAsyncScope();
        var context = new DefaultHttpContext { RequestServices = scope.ServiceProvider, RequestAborted = ct };
        context.Request.Headers.Authorization = "Bearer " + token;
        var result = await context.AuthenticateAsync(JwtBearerDefaults.AuthenticationScheme);
        return result.Succeeded && result.Principal is { } user && long.TryParse(user.FindFirstValue(TokenClaims.IssuedAt), out _)
            ? (user, null)
            : (null, TokenValidation.Describe(result.Failure));
    }

    public const string MaxSubscriptionsPerSocket = "maxSubscriptionsPerSocket";

    /// <summary>Close codes of our own (docs/protocol.md): 4000 resubscribe, 4008 too slow, 4029 too many messages.</summary>
    public const WebSocketCloseStatus Resubscribe = (WebSocketCloseStatus)4000;
    public const WebSocketCloseStatus TooSlow = (WebSocketCloseStatus)4008;
    public const WebSocketCloseStatus TooManyMessages = (WebSocketCloseStatus)4029;

    private static readonly TimeSpan MaxTimer = TimeSpan.FromMilliseconds(uint.MaxValue - 1);
}
