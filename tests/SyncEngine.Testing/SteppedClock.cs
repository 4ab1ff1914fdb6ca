namespace SyncEngine.Testing;

/// <summary>A clock that moves only when a test moves it.</summary>
public sealed class SteppedClock : TimeProvider
{
    public DateTimeOffset Now { get; set; } = new(2026, 11, 26, 12, 0, 0, TimeSpan.Zero);

    public override DateTimeOffset GetUtcNow() => Now;
}
