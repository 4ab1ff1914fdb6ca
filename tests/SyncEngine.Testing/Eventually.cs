namespace SyncEngine.Testing;

/// <summary>Waits on a condition with a deadline, polling, instead of sleeping for a guessed time.</summary>
public static class Eventually
{
    public static async Task<T> Until<T>(
        Func<CancellationToken, Task<T>> probe, Func<T, bool> done, TimeSpan timeout, CancellationToken ct)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(timeout);
        using var poll = new PeriodicTimer(TimeSpan.FromMilliseconds(250));
        var last = await probe(ct);
        while (!done(last))
        {
            try
            {
                await poll.WaitForNextTickAsync(deadline.Token);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                return last;
            }

            last = await probe(ct);
        }

        return last;
    }
}
