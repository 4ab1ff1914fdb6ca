namespace SyncEngine.Backend;

/// <summary>Calls from one service to another's own port (Workspace's views asking Sync, Sync's archives asking Workspace).</summary>
public static class ServiceCalls
{
    /// <summary>
    /// Whether <paramref name="e"/> says the other service could not be reached or answered too late (after the standard
    /// resilience handler's retries), rather than that this request was cancelled: the caller answers 503 unavailable.
    /// </summary>
    public static bool IsUnreachable(Exception e, CancellationToken ct) =>
        e is HttpRequestException or TimeoutException or Polly.Timeout.TimeoutRejectedException
        || (e is OperationCanceledException && !ct.IsCancellationRequested);
}
