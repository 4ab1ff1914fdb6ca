using Marten;
using Services.Sync.Changes;
using Services.Sync.Live;
using SyncEngine.Backend.Security;
using SyncEngine.Contracts.Workspaces;

namespace Services.Sync.Workspaces;

/// <summary>
/// Sync's part of an erasure: the workspace's changes, snapshots, log row and revocations go, a tombstone stays, and
/// the NOTIFY at commit ends its live streams on every replica (with a <c>deleted</c> event). Pushes and pulls of the
/// id are 410 from then on. A redelivered message finds the tombstone and changes nothing.
/// </summary>
public static class WorkspaceErasedHandler
{
    public static async Task Handle(WorkspaceErased erased, IDocumentSession session, CancellationToken ct)
    {
        await session.LockAgainstErasureAsync(erased.WorkspaceId, exclusive: true, ct);
        if (await session.IsErasedAsync(erased.WorkspaceId, ct))
        {
            return;
        }

        // The log row first: a push or snapshot holds it (sync.lock_log) while it writes, so this waits for one in flight,
        // and the deletes after it see what that one committed. A write after this commits finds no log but the
        // tombstone, and lock_log refuses it (ErasedWorkspaceFault: 410).
        session.QueueSqlCommand($"delete from {SyncSchema.Logs} where workspace_id = ?", erased.WorkspaceId);
        session.QueueSqlCommand($"delete from {SyncSchema.Changes} where workspace_id = ?", erased.WorkspaceId);
        session.QueueSqlCommand($"delete from {SyncSchema.Snapshots} where workspace_id = ?", erased.WorkspaceId);
        session.RecordErasure(erased.WorkspaceId, erased.ErasedBy, erased.ErasedAt);
        session.QueueSqlCommand("select pg_notify(?, ?)", HeadNotifications.ErasedChannel, $"{erased.WorkspaceId:N}:erased");
    }
}
