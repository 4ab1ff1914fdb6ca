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
    /// <summary>Bytes sent by pulls, per app and hour, as every replica flushes them (Usage/AppUsageRecorder.cs).</summary>
    public const string AppTraffic = "sync.app_traffic";
    /// <summary>Each replica's open live streams per app, refreshed every few seconds (Usage/AppUsageRecorder.cs).</summary>
    public const string LiveStreams = "sync.live_streams";
    /// <summary>The address each running replica advertises to the gateway, refreshed every few seconds (Replicas/ReplicaRegistry.cs).</summary>
    public const string Replicas = "sync.replicas";

    public const string LockFunction = "sync.lock_log";
    public const string PushFunction = "sync.append_change";

    /// <summary>What a workspace's first change fixes (LoroEnvelope.cs tells them apart): later changes and snapshots must match.</summary>
    /// <summary>The tombstones of erased workspaces (Marten's table of SyncEngine.Backend's ErasedWorkspace).</summary>
    public const string ErasedTable = "sync.mt_doc_erasedworkspace";

    public const string LoroFormat = "loro";
    public const string OpaqueFormat = "opaque";

    /// <summary>
    /// Locks a workspace's log row until commit (creating it if WorkspaceClaimed has not arrived yet: the token proves the
    /// claim) and returns head, schema version, format and stored bytes. A row from before the format and stored-bytes
    /// columns existed has them null; they are computed here, once, under the lock, so the count is exact even while
    /// other replicas push and prune (a start-up pass would race with replicas already serving). Every writer of a log
    /// (push, snapshot, prune) goes through this lock, so the count it keeps stays exact across replicas.
    /// </summary>
    private const string LockFunctionSql =
        $$"""
        create or replace function {{LockFunction}}(p_workspace uuid)
        returns table (log_head bigint, log_version int, log_format text, log_bytes bigint)
        language plpgsql as $fn$
        declare
            v_head bigint;
            v_version int;
            v_format text;
            v_bytes bigint;
        begin
            select l.head, l.schema_version, l.format, l.stored_bytes into v_head, v_version, v_format, v_bytes
                from {{Logs}} l where l.workspace_id = p_workspace for update;
            if not found then
                -- An erased workspace has no log, only its tombstone, and must not get one back (ErasedWorkspaceFault).
                if exists (select 1 from {{ErasedTable}} e where e.id = p_workspace) then
                    raise exception 'workspace % was erased', p_workspace using errcode = '{{SyncEngine.Backend.Security.ErasedWorkspaceFault.SqlState}}';
                end if;
                -- The first push can beat the WorkspaceClaimed message (the token proves the claim); open the log then.
                -- Only then: a speculative insert on every push cost measurable CPU (docs/benchmarks.md).
                insert into {{Logs}} (workspace_id) values (p_workspace) on conflict do nothing;
                select l.head, l.schema_version, l.format, l.stored_bytes into v_head, v_version, v_format, v_bytes
                    from {{Logs}} l where l.workspace_id = p_workspace for update;
            end if;
            if v_bytes is null then
                v_bytes := (select coalesce(sum(octet_length(c.data)), 0) from {{Changes}} c where c.workspace_id = p_workspace)
                    + (select coalesce(sum(octet_length(s.data)), 0) from {{Snapshots}} s where s.workspace_id = p_workspace);
                update {{Logs}} set stored_bytes = v_bytes where workspace_id = p_workspace;
            end if;
            if v_format is null and v_head > 0 then
                -- A log from before formats were kept: its oldest stored bytes tell (Loro's magic, as LoroEnvelope.cs checks).
                v_format := (select case when substring(d.data from 1 for 4) = '\x6c6f726f'::bytea then '{{LoroFormat}}' else '{{OpaqueFormat}}' end
                    from (select c.data, c.seq from {{Changes}} c where c.workspace_id = p_workspace
                          union all select s.data, s.covers from {{Snapshots}} s where s.workspace_id = p_workspace) d
                    order by d.seq limit 1);
                update {{Logs}} set format = v_format where workspace_id = p_workspace;
            end if;
            return query select v_head, v_version, v_format, v_bytes;
        end
        $fn$;
        """;

    /// <summary>
    /// A push in one round trip: lock the log row, check the idempotency key, the format, the version gate and the
    /// workspace's stored bytes, append and move the head, inside the caller's statement (autocommit makes it one
    /// durable transaction). Done as separate commands it took five round trips while holding the workspace's lock. No
    /// NOTIFY here: a committing transaction that notified holds PostgreSQL's notify-queue lock through its WAL flush,
    /// which serialized every push (HeadAnnouncer.cs and docs/benchmarks.md).
    /// </summary>
    private const string PushFunctionSql =
        $$"""
        create or replace function {{PushFunction}}(
            p_workspace uuid, p_key uuid, p_sha bytea, p_data bytea, p_client uuid, p_version int, p_format text, p_max_bytes bigint,
            p_app text, p_app_is_default boolean, p_max_app_bytes bigint)
        returns table (outcome text, seq bigint, current_version int, used_bytes bigint)
        language plpgsql
        -- A statement on the partitioned log got a custom plan on every call (the generic plan of 16 partitions looks
        -- dearer before run-time pruning), which was a tenth of PostgreSQL's CPU under push load (docs/benchmarks.md).
        set plan_cache_mode = force_generic_plan
        as $fn$
        declare
            v_head bigint;
            v_version int;
            v_format text;
            v_bytes bigint;
            v_app_bytes bigint;
            v_seq bigint;
            v_sha bytea;
        begin
            select log_head, log_version, log_format, log_bytes into v_head, v_version, v_format, v_bytes
                from {{LockFunction}}(p_workspace);
            select c.seq, c.sha256 into v_seq, v_sha from {{Changes}} c where c.workspace_id = p_workspace and c.idempotency_key = p_key;
            if found then
                return query select case when v_sha = p_sha then 'replay' else 'key-conflict' end, v_seq, v_version, v_bytes;
                return;
            end if;
            if v_format is not null and v_format <> p_format then
                return query select 'wrong-format'::text, v_head, v_version, v_bytes;
                return;
            end if;
            if p_version < v_version then
                return query select 'outdated'::text, v_head, v_version, v_bytes;
                return;
            end if;
            if v_bytes + octet_length(p_data) > p_max_bytes then
                return query select 'quota'::text, v_head, v_version, v_bytes;
                return;
            end if;
            if p_max_app_bytes is not null then
                {{AppQuota.LockAndCountInFunction}}
                if v_app_bytes + octet_length(p_data) > p_max_app_bytes then
                    return query select 'app-quota'::text, v_head, v_version, v_app_bytes;
                    return;
                end if;
            end if;
            v_seq := v_head + 1;
            insert into {{Changes}} (workspace_id, seq, idempotency_key, sha256, data, client_id, schema_version)
                values (p_workspace, v_seq, p_key, p_sha, p_data, p_client, p_version);
            -- The token's app names a log a push opened before WorkspaceClaimed arrived, so the app's bytes count it at once.
            update {{Logs}} set head = v_seq, schema_version = p_version, format = p_format, stored_bytes = v_bytes + octet_length(p_data),
                app_id = coalesce(app_id, p_app)
                where workspace_id = p_workspace;
            return query select 'appended'::text, v_seq, p_version, v_bytes + octet_length(p_data);
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
        // Null until the first change fixes it (or, on a log from before this column, until the lock computes it).
        logs.AddColumn<string>("format");
        // Payload bytes of the workspace's changes and snapshots, kept by every writer under the row lock; null until
        // counted (a log from before this column), see LockFunctionSql.
        logs.AddColumn<long>("stored_bytes");
        // The workspace's app, from WorkspaceClaimed; null for workspaces claimed before apps (the default app) and
        // until that message arrives when a push opened the log first.
        logs.AddColumn<string>("app_id");
        // An app's stored bytes are summed from its logs (AppQuota.cs, usage).
        logs.Indexes.Add(new IndexDefinition("logs_app_id") { Columns = ["app_id"] });

        // sync.changes is hash-partitioned, which Weasel's tables do not migrate to: PartitionedChangeLog.cs creates it.

        var snapshots = new Table(Snapshots);
        snapshots.AddColumn<Guid>("workspace_id").AsPrimaryKey();
        snapshots.AddColumn<long>("covers").AsPrimaryKey();
        snapshots.AddColumn("data", "bytea").NotNull();
        snapshots.AddColumn<Guid>("client_id").NotNull();
        snapshots.AddColumn("created_at", "timestamptz").NotNull().DefaultValueByExpression("now()");

        var traffic = new Table(AppTraffic);
        traffic.AddColumn<string>("app_id").AsPrimaryKey();
        traffic.AddColumn("hour", "timestamptz").AsPrimaryKey();
        traffic.AddColumn<long>("bytes_out").NotNull().DefaultValue(0L);
        traffic.AddColumn<long>("pulls").NotNull().DefaultValue(0L);
        traffic.AddColumn<long>("bytes_in").NotNull().DefaultValue(0L);
        traffic.AddColumn<long>("pushes").NotNull().DefaultValue(0L);

        var live = new Table(LiveStreams);
        live.AddColumn<string>("replica").AsPrimaryKey();
        live.AddColumn<string>("app_id").AsPrimaryKey();
        live.AddColumn<int>("streams").NotNull();
        live.AddColumn("seen_at", "timestamptz").NotNull().DefaultValueByExpression("now()");

        var replicas = new Table(Replicas);
        replicas.AddColumn<string>("address").AsPrimaryKey();
        replicas.AddColumn("seen_at", "timestamptz").NotNull().DefaultValueByExpression("now()");

        options.Storage.ExtendedSchemaObjects.Add(replicas);
        options.Storage.ExtendedSchemaObjects.Add(traffic);
        options.Storage.ExtendedSchemaObjects.Add(live);
        options.Storage.ExtendedSchemaObjects.Add(logs);
        options.Storage.ExtendedSchemaObjects.Add(snapshots);
        options.Storage.ExtendedSchemaObjects.Add(new Function(PostgresqlProvider.Instance.Parse(LockFunction), LockFunctionSql));
        options.Storage.ExtendedSchemaObjects.Add(new Function(PostgresqlProvider.Instance.Parse(PushFunction), PushFunctionSql));
    }
}
