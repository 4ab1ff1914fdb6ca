namespace Services.Sync.Changes;

/// <summary>The headers of the sync protocol (docs/protocol.md).</summary>
public static class SyncHeaders
{
    public const string IdempotencyKey = "Idempotency-Key";
    public const string SchemaVersion = "Sync-Schema-Version";
    public const string Covers = "Sync-Covers";
    public const string Head = "Sync-Head";
    public const string ContentType = "application/vnd.syncengine.changes";
}
