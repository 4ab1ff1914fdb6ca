using SyncEngine.Client;
using Xunit;

namespace Services.Sync.Tests.Integration;

public static class SyncSocketAnswers
{
    /// <summary>A hang guard: every answer here comes within milliseconds.</summary>
    public static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    /// <summary>
    /// The next message that is not a heartbeat, or null when the socket closed or none came within <see cref="Wait"/>.
    /// Heartbeats come every Sync:HeartbeatEvery (1 s here) whatever a test does, so one lands between any two steps
    /// that take longer on a loaded machine (seen: "Unexpected heartbeat" in a run of four test projects at once).
    /// </summary>
    public static Task<SyncSocketMessage?> NextAnswerAsync(this SyncSocket socket) =>
        socket.NextAsync(m => m.Type != "heartbeat", Wait, TestContext.Current.CancellationToken);
}
