using Marten;
using Weasel.Core;
using Weasel.Postgresql;
using Weasel.Postgresql.Functions;
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

    public const string PushFunction = "sync.push_change";

    /// <summary>
    /// A push in one round trip: lock the log row, check the idempotency key, apply the version gate, append and move the
    /// head, inside the caller's statement (autocommit makes it one durable transaction). Done as separate commands it
    /// took five round trips while holding the workspace's lock. No NOTIFY here: a committing transaction that notified
    /// holds PostgreSQL's notify-queue lock through its WAL flush, which serialized every push (HeadAnnouncer.cs and
    /// docs/benchmarks.md).
    /// </summary>
    private const string PushFunctionSql =
        $$"""
        create or replace function {{PushFunction}}(
            p_workspace uuid, p_key uuid, p_sha bytea, p_data bytea, p_client uuid, p_version int)
        returns table (outcome text, seq bigint, current_version int)
        language plpgsql as $fn$
        declare
            v_head bigint;
            v_version int;
            v_seq bigint;
            v_sha bytea;
        begin
            select l.head, l.schema_version into v_head, v_version from {{Logs}} l where l.workspace_id = p_workspace for update;
            if not found then
                -- The first push can beat the WorkspaceClaimed message (the token proves the claim); open the log then.
                -- Only then: a speculative insert on every push cost measurable CPU (docs/benchmarks.md).
                insert into {{Logs}} (workspace_id) values (p_workspace) on conflict do nothing;
                select l.head, l.schema_version into v_head, v_version from {{Logs}} l where l.workspace_id = p_workspace for update;
            end if;
            select c.seq, c.sha256 into v_seq, v_sha from {{Changes}} c where c.workspace_id = p_workspace and c.idempotency_key = p_key;
            if found then
                return query select case when v_sha = p_sha then 'replay' else 'key-conflict' end, v_seq, v_version;
                return;
            end if;
            if p_version < v_version then
                return query select 'outdated'::text, v_head, v_version;
                return;
            end if;
            v_seq := v_head + 1;
            insert into {{Changes}} (workspace_id, seq, idempotency_key, sha256, data, client_id, schema_version)
                values (p_workspace, v_seq, p_key, p_sha, p_data, p_client, p_version);
            update {{Logs}} set head = v_seq, schema_version = p_version where workspace_id = p_workspace;
            return query select 'appended'::text, v_seq, p_version;
        end
        $fn$;
        """;

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

        options.Storage.ExtendedSchemaObjects.Add(new Function(
            PostgresqlProvider.Instance.Parse(PushFunction), PushFunctionSql));
        options.Storage.ExtendedSchemaObjects.Add(logs);
        options.Storage.ExtendedSchemaObjects.Add(changes);
        options.Storage.ExtendedSchemaObjects.Add(snapshots);
    }
}
