using Marten;
using Weasel.Postgresql.Tables;

namespace Services.Sync.Changes;

/// <summary>
/// Sync's own tables, plain SQL through Npgsql (bytea, never base64), created at start-up by Marten/Weasel with the
/// rest of the <c>sync</c> schema. <c>logs</c> holds one row per workspace: its head (the row lock that makes
/// sequence numbers gap-free across replicas), schema version and how far covered changes have been pruned.
/// </summary>
public static class SyncSchema
{
    public const string Schema = "sync";
    public const string Logs = "sync.logs";
    public const string Changes = "sync.changes";
    public const string Snapshots = "sync.snapshots";

    public static void AddSyncTables(this StoreOptions options)
    {
        var logs = new Table(Logs);
        logs.AddColumn<Guid>("workspace_id").AsPrimaryKey();
        logs.AddColumn<long>("head").NotNull().DefaultValue(0L);
        logs.AddColumn<int>("schema_version").NotNull().DefaultValue(0);
        logs.AddColumn<long>("pruned_through").NotNull().DefaultValue(0L);
        logs.AddColumn("opened_at", "timestamptz").NotNull().DefaultValueByExpression("now()");

        var changes = new Table(Changes);
        changes.AddColumn<Guid>("workspace_id").AsPrimaryKey();
        changes.AddColumn<long>("seq").AsPrimaryKey();
        changes.AddColumn<Guid>("idempotency_key").NotNull();
        changes.AddColumn("sha256", "bytea").NotNull();
        changes.AddColumn("data", "bytea").NotNull();
        changes.AddColumn<Guid>("client_id").NotNull();
        changes.AddColumn<int>("schema_version").NotNull();
        changes.AddColumn("created_at", "timestamptz").NotNull().DefaultValueByExpression("now()");
        changes.Indexes.Add(new IndexDefinition("changes_idempotency_key") { Columns = ["workspace_id", "idempotency_key"], IsUnique = true });

        var snapshots = new Table(Snapshots);
        snapshots.AddColumn<Guid>("workspace_id").AsPrimaryKey();
        snapshots.AddColumn<long>("covers").AsPrimaryKey();
        snapshots.AddColumn("data", "bytea").NotNull();
        snapshots.AddColumn<Guid>("client_id").NotNull();
        snapshots.AddColumn("created_at", "timestamptz").NotNull().DefaultValueByExpression("now()");

        options.Storage.ExtendedSchemaObjects.Add(logs);
        options.Storage.ExtendedSchemaObjects.Add(changes);
        options.Storage.ExtendedSchemaObjects.Add(snapshots);
    }
}
