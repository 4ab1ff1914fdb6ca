using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Services.Sync.Changes;
using SyncEngine.Testing;
using Xunit;

namespace Services.Sync.Tests.Integration;

/// <summary>
/// The change log is hash-partitioned by workspace_id (PartitionedChangeLog): the service's own log is, and a plain log
/// from before partitioning is converted with every row kept, in a schema of its own here so the service is untouched.
/// </summary>
public sealed class PartitionedChangeLogTests(SyncService sync)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<T> ScalarAsync<T>(NpgsqlConnection db, string sql) =>
        (T)(await new NpgsqlCommand(sql, db).ExecuteScalarAsync(Ct))!;

    [Fact]
    public async Task the_services_log_is_partitioned_by_workspace_and_every_key_leads_with_it()
    {
        await using var db = await sync.Database.OpenAsync(Ct);
        Assert.Equal("p", await ScalarAsync<string>(db, "select relkind::text from pg_class where oid = 'sync.changes'::regclass"));
        Assert.Equal(PartitionedChangeLog.Partitions, await ScalarAsync<long>(db, "select count(*) from pg_inherits where inhparent = 'sync.changes'::regclass"));
        Assert.Equal("HASH (workspace_id)", await ScalarAsync<string>(db, "select pg_get_partkeydef('sync.changes'::regclass)"));
        var keys = await db.QueryAsync(
            "select pg_get_indexdef(indexrelid) from pg_index where indrelid = 'sync.changes'::regclass", r => r.GetString(0), Ct);
        Assert.Equal(2, keys.Count);
        Assert.All(keys, key => Assert.Contains("USING btree (workspace_id,", key, StringComparison.Ordinal));

        // A push lands in its workspace's partition and only there.
        var (workspaceId, _, master) = await sync.NewWorkspaceAsync();
        await sync.Api.PushAsync(master, workspaceId, [1, 2, 3], Guid.NewGuid(), 1, Ct);
        var partitions = await db.QueryAsync(
            $"select tableoid::regclass::text from sync.changes where workspace_id = '{workspaceId}'", r => r.GetString(0), Ct);
        Assert.Matches(@"^sync\.changes_p\d\d$", Assert.Single(partitions));
    }

    [Fact]
    public async Task the_push_function_plans_its_statements_on_the_partitioned_log_once_not_on_every_push()
    {
        await using var db = await sync.Database.OpenAsync(Ct);

        // Left to PostgreSQL's choice, the generic plan over every partition looks dearer than a custom one, so each
        // push was planned again (docs/benchmarks.md).
        var settings = await ScalarAsync<string[]>(db, $"select proconfig from pg_proc where oid = '{SyncSchema.PushFunction}'::regproc");
        Assert.Contains("plan_cache_mode=force_generic_plan", settings);
    }

    [Fact]
    public async Task an_app_id_that_reads_as_sql_is_only_a_value_to_the_app_quota_sum_run_at_push_time()
    {
        // The sum is EXECUTEd (planned with its values); the app id is bound with USING, never spliced into its text.
        const string hostile = "x') or true; drop table sync.logs; --";
        var workspaceId = Guid.NewGuid();
        await using var db = await sync.Database.OpenAsync(Ct);
        await using var push = new NpgsqlCommand(
            $"select outcome, seq from {SyncSchema.PushFunction}($1, $2, $3, $4, $5, 1, 'opaque', 1000000, $6, false, 100)", db);
        push.Parameters.AddWithValue(workspaceId);
        push.Parameters.AddWithValue(Guid.NewGuid());
        push.Parameters.AddWithValue(new byte[32]);
        push.Parameters.AddWithValue(new byte[10]);
        push.Parameters.AddWithValue(Guid.NewGuid());
        push.Parameters.AddWithValue(hostile);
        await using (var reader = await push.ExecuteReaderAsync(Ct))
        {
            Assert.True(await reader.ReadAsync(Ct));
            Assert.Equal(("appended", 1L), (reader.GetString(0), reader.GetInt64(1)));
        }

        Assert.Equal(hostile, await ScalarAsync<string>(db, $"select app_id from sync.logs where workspace_id = '{workspaceId}'"));
        Assert.True(await ScalarAsync<long>(db, "select count(*) from sync.logs") >= 1);
    }

    [Fact]
    public async Task a_plain_log_from_before_partitioning_is_converted_with_every_row_and_key_kept()
    {
        var schema = $"old_{Guid.NewGuid():N}"[..20];
        await using var db = await sync.Database.OpenAsync(Ct);
        await new NpgsqlCommand(
            $"""
            create schema {schema};
            create table {schema}.changes (
                workspace_id uuid not null, seq bigint not null, idempotency_key uuid not null, sha256 bytea not null, data bytea not null,
                client_id uuid not null, schema_version integer not null, created_at timestamptz not null default now(),
                constraint pkey_changes_workspace_id_seq primary key (workspace_id, seq));
            create unique index changes_idempotency_key on {schema}.changes (workspace_id, idempotency_key);
            insert into {schema}.changes (workspace_id, seq, idempotency_key, sha256, data, client_id, schema_version)
                select w, s, gen_random_uuid(), sha256(int4send(s)), int4send(s), gen_random_uuid(), 1
                from (select gen_random_uuid() as w from generate_series(1, 50)) ws, generate_series(1, 20) s;
            """, db).ExecuteNonQueryAsync(Ct);
        var before = await ScalarAsync<string>(db, $"select md5(string_agg(workspace_id::text || seq || encode(data, 'hex') || idempotency_key, ',' order by workspace_id, seq)) from {schema}.changes");

        await PartitionedChangeLog.EnsureAsync(db, schema, NullLogger.Instance, Ct);
        await PartitionedChangeLog.EnsureAsync(db, schema, NullLogger.Instance, Ct); // a second start changes nothing

        Assert.Equal("p", await ScalarAsync<string>(db, $"select relkind::text from pg_class where oid = '{schema}.changes'::regclass"));
        Assert.Equal(1000L, await ScalarAsync<long>(db, $"select count(*) from {schema}.changes"));
        Assert.Equal(before, await ScalarAsync<string>(db, $"select md5(string_agg(workspace_id::text || seq || encode(data, 'hex') || idempotency_key, ',' order by workspace_id, seq)) from {schema}.changes"));
        Assert.Equal(0L, await ScalarAsync<long>(db, $"select count(*) from pg_class c join pg_namespace n on n.oid = c.relnamespace where n.nspname = '{schema}' and c.relname like '%unpartitioned%'"));
        var duplicate = await Assert.ThrowsAsync<PostgresException>(() => new NpgsqlCommand(
            $"insert into {schema}.changes (workspace_id, seq, idempotency_key, sha256, data, client_id, schema_version) select workspace_id, seq, gen_random_uuid(), sha256, data, client_id, 1 from {schema}.changes limit 1",
            db).ExecuteNonQueryAsync(Ct));
        Assert.Equal(PostgresErrorCodes.UniqueViolation, duplicate.SqlState);
        await new NpgsqlCommand($"drop schema {schema} cascade", db).ExecuteNonQueryAsync(Ct);
    }
}
