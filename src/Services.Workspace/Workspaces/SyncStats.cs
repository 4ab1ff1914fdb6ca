using System.Net.Http.Json;

namespace Services.Workspace.Workspaces;

/// <summary>What Sync holds of a workspace (Sync's <c>/internal/workspaces/stats</c>), for the operators' views.</summary>
public sealed record SyncStats(
    Guid WorkspaceId, long Head, int SchemaVersion, long StoredBytes, DateTimeOffset? LastChangeAt, IReadOnlyList<SnapshotStats> Snapshots);

public sealed record SnapshotStats(long Covers, long Bytes, DateTimeOffset CreatedAt);

/// <summary>
/// Asks Sync, on its own port (service discovery's <c>sync</c>), what it holds of a page of workspaces: this service
/// owns who a workspace belongs to, Sync what it stores. A workspace whose claim Sync has not heard of yet is missing
/// from the answer (no change stored).
/// </summary>
public sealed class SyncStatsClient(IHttpClientFactory http)
{
    public const string HttpClientName = "sync-stats";

    /// <summary>
    /// How long a view waits for Sync, retries included. A healthy Sync answers in milliseconds; without this bound the
    /// standard resilience handler would keep an operator waiting 30 s for a stopped one (behind Aspire's proxy a
    /// stopped service's connections are accepted and never answered).
    /// </summary>
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(5);

    public async Task<IReadOnlyDictionary<Guid, SyncStats>> ForAsync(IReadOnlyCollection<Guid> workspaceIds, CancellationToken ct)
    {
        if (workspaceIds.Count == 0)
        {
            return new Dictionary<Guid, SyncStats>();
        }

        using var client = http.CreateClient(HttpClientName);
        using var patience = CancellationTokenSource.CreateLinkedTokenSource(ct);
        patience.CancelAfter(Patience);
        try
        {
            using var response = await client.PostAsJsonAsync("http://sync/internal/workspaces/stats", workspaceIds, patience.Token);
            if (!response.IsSuccessStatusCode)
            {
                throw new SyncUnavailableException(new HttpRequestException($"Sync answered {(int)response.StatusCode}."));
            }

            var stats = await response.Content.ReadFromJsonAsync<List<SyncStats>>(patience.Token) ?? [];
            return stats.ToDictionary(s => s.WorkspaceId);
        }
        catch (Exception e) when (SyncEngine.Backend.ServiceCalls.IsUnreachable(e, ct))
        {
            throw new SyncUnavailableException(e);
        }
    }
}

/// <summary>Sync could not say what it stores right now: the operator's view answers 503 unavailable.</summary>
public sealed class SyncUnavailableException(Exception inner) : Exception($"Sync could not be reached: {inner.Message}", inner);
