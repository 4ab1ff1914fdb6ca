using System.Diagnostics;
using System.Security.Cryptography;
using SyncEngine.Client;

namespace SyncEngine.LoadTest;

/// <summary>
/// The realtime channel under load: N devices, one socket each through the gateway, each subscribed to its workspace
/// and pushing 1 KB changes as fast as they are acknowledged (one in flight, like the HTTP clients). Devices that share
/// a workspace also receive each other's changes, as real devices do.
/// </summary>
public static class SocketLoad
{
    public static async Task<PushLoad.Result> RunAsync(
        Uri gateway, int clients, IReadOnlyList<PushLoad.Workspace> workspaces, TimeSpan duration, CancellationToken ct)
    {
        var devices = new List<SyncSocket>();
        try
        {
            for (var client = 0; client < clients; client++)
            {
                var workspace = workspaces[client % workspaces.Count];
                var socket = await SyncSocket.ConnectAsync(gateway, ct);
                devices.Add(socket);
                await socket.SubscribeAsync(0, workspace.Id, workspace.Token, 0, ct);
                if (await socket.NextAsync(m => m.Type is "subscribed" or "error", TimeSpan.FromSeconds(10), ct) is not { Type: "subscribed" })
                {
                    throw new InvalidOperationException("A load device could not subscribe.");
                }
            }

            var latency = new Stats();
            long acknowledged = 0;
            var clock = Stopwatch.StartNew();
            await Task.WhenAll(devices.Select(async (socket, client) =>
            {
                var workspace = workspaces[client % workspaces.Count];
                var change = new byte[1024];
                for (long reference = 1; clock.Elapsed < duration; reference++)
                {
                    RandomNumberGenerator.Fill(change);
                    var started = Stopwatch.GetTimestamp();
                    await socket.PushAsync(reference, workspace.Id, Guid.NewGuid(), 1, change, ct);
                    var answer = await socket.NextAsync(m => m.Ref == reference, TimeSpan.FromSeconds(30), ct)
                        ?? throw new InvalidOperationException("A push got no answer.");
                    if (answer.Type != "ack")
                    {
                        throw new InvalidOperationException($"A push was refused: {answer.Header}");
                    }

                    latency.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                    PushLoad.Acknowledged[(workspace.Id, answer.Long("seq"))] = SHA256.HashData(change);
                    Interlocked.Increment(ref acknowledged);
                }
            }));
            return new PushLoad.Result(clients, workspaces.Count, acknowledged, clock.Elapsed.TotalSeconds, latency);
        }
        finally
        {
            foreach (var socket in devices)
            {
                await socket.DisposeAsync();
            }
        }
    }

    /// <summary>An edit on one device to its bytes on another: from the push's send to the other socket's <c>changes</c>.</summary>
    public static async Task<Stats> PropagationAsync(Uri gateway, SyncEngineClient api, int samples, CancellationToken ct)
    {
        var workspace = (await PushLoad.ClaimAsync(api, 1, ct))[0];
        await using var editor = await SyncSocket.ConnectAsync(gateway, ct);
        await using var viewer = await SyncSocket.ConnectAsync(gateway, ct);
        await editor.SubscribeAsync(0, workspace.Id, workspace.Token, 0, ct);
        await viewer.SubscribeAsync(0, workspace.Id, workspace.Token, 0, ct);
        await editor.NextAsync(m => m.Type == "subscribed", TimeSpan.FromSeconds(10), ct);
        await viewer.NextAsync(m => m.Type == "subscribed", TimeSpan.FromSeconds(10), ct);
        var latency = new Stats();
        for (var seq = 1; seq <= samples; seq++)
        {
            var change = RandomNumberGenerator.GetBytes(1024);
            var started = Stopwatch.GetTimestamp();
            await editor.PushAsync(seq, workspace.Id, Guid.NewGuid(), 1, change, ct);
            var received = await viewer.NextAsync(m => m.Type == "changes", TimeSpan.FromSeconds(10), ct)
                ?? throw new InvalidOperationException("The viewer got no change.");
            latency.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            if (!received.Frames[^1].Data.AsSpan().SequenceEqual(change))
            {
                throw new InvalidOperationException("The viewer got other bytes.");
            }

            await editor.NextAsync(m => m.Type == "ack", TimeSpan.FromSeconds(10), ct);
        }

        return latency;
    }
}
