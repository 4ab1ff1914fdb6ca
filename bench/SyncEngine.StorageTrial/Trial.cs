namespace SyncEngine.StorageTrial;

/// <summary>One way of durably appending an opaque change.</summary>
public interface IAppendTarget
{
    string Name { get; }

    /// <summary>False for the raw baseline, which has no per-workspace log.</summary>
    bool HasLog { get; }

    Task SetupAsync(CancellationToken ct);

    /// <summary>Returns after a durable commit with the change's seq (the row id for the baseline).</summary>
    Task<Pushed> PushAsync(Guid workspaceId, Guid key, Guid clientId, byte[] data, CancellationToken ct);

    /// <summary>
    /// Every stored change of these workspaces; for the baseline, every row in the id range of the acks.
    /// </summary>
    Task<IReadOnlyList<StoredChange>> ReadBackAsync(IReadOnlyCollection<Guid> workspaceIds, IReadOnlyList<Ack> acks, CancellationToken ct);

    /// <summary>What <see cref="StoredChange.Key"/> holds for a push with this key.</summary>
    Guid StoredKey(Guid workspaceId, Guid key);

    /// <summary>A second read path, or null when there is none worth checking.</summary>
    Task<string?> ExtraCheckAsync(IReadOnlyCollection<Guid> workspaceIds, IReadOnlyList<Ack> acks, CancellationToken ct);

    Task<Storage> MeasureStorageAsync(CancellationToken ct);

    Task DropAsync(CancellationToken ct);
}

public sealed record Pushed(long Seq, bool Replayed);

public sealed record Ack(Guid WorkspaceId, Guid Key, long Seq, byte[] Data);

public sealed record StoredChange(Guid WorkspaceId, long Seq, Guid Key, byte[] Data);

/// <param name="Rows">rows in the table that holds the changes</param>
/// <param name="TotalBytesPerRow">pg_total_relation_size (heap + TOAST + indexes) / rows</param>
/// <param name="HeapBytesPerRow">pg_relation_size (main fork only) / rows</param>
/// <param name="AvgRowBytes">avg(pg_column_size(row))</param>
/// <param name="AvgPayloadBytes">avg(pg_column_size(payload column))</param>
/// <param name="Note">what else the variant stores per change or per workspace</param>
public sealed record Storage(long Rows, double TotalBytesPerRow, double HeapBytesPerRow, double AvgRowBytes,
    double AvgPayloadBytes, string Note);

public sealed class IdempotencyConflictException(Guid key) : Exception($"Idempotency-Key {key} was already used for different bytes.");
