using Npgsql;
using SyncEngine.Testing;
using Xunit;

namespace SyncEngine.EndToEnd.Tests;

/// <summary>
/// Each service connects as its own PostgreSQL role that can use only its schema and the shared queue schema, so a
/// flaw in one service cannot read or change another's data (docs/security.md, "At rest and in the database").
/// </summary>
[Collection(SyncEngineCollection.Name)]
public sealed class DatabaseRolesTests(SyncEngineApp app)
{
    private static readonly string[] Services = ["auth", "workspace", "sync"];

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task connected_as_syncs_role_reading_auths_or_workspaces_tables_is_refused()
    {
        // Something to read in every schema, so a refusal is not an empty table answering.
        var workspace = await app.NewWorkspaceAsync(Ct);
        await app.Api.PushAsync(workspace.Master, workspace.WorkspaceId, [1, 2, 3], Guid.NewGuid(), 1, Ct);

        await using var sync = new NpgsqlConnection(await app.ServiceConnectionStringAsync("sync", Ct));
        await sync.OpenAsync(Ct);
        Assert.Equal("syncengine_sync", await ScalarAsync<string>(sync, "select current_user"));
        Assert.False(await ScalarAsync<bool>(sync, "select rolsuper from pg_roles where rolname = current_user"));

        foreach (var table in new[] { "auth.mt_doc_accesstoken", "auth.mt_doc_signingkey", "workspace.mt_events" })
        {
            var refused = await Assert.ThrowsAsync<PostgresException>(() => ScalarAsync<long>(sync, $"select count(*) from {table}"));
            Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, refused.SqlState);
        }

        var writeRefused = await Assert.ThrowsAsync<PostgresException>(() => ScalarAsync<long>(sync, "delete from auth.mt_doc_signingkey"));
        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, writeRefused.SqlState);
        // Its own schema and the shared queues it works through stay usable.
        Assert.True(await ScalarAsync<long>(sync, "select count(*) from sync.wolverine_incoming_envelopes") >= 0);
        Assert.True(await ScalarAsync<long>(sync, "select count(*) from wolverine_queues.wolverine_queue_auth") >= 0);
    }

    [Fact]
    public async Task every_service_connection_uses_that_services_own_role_and_none_is_a_superuser()
    {
        // Pooled connections this test process opened as the superuser (other tests read the store) are closed first,
        // so every other session on the database is a service's.
        NpgsqlConnection.ClearAllPools();
        await using var db = await app.OpenDatabaseAsync(Ct);

        // A closed connection's backend leaves pg_stat_activity a moment after the client hung up (a clean-clone run
        // saw one of the cleared pool's), so wait for those to go; a service's own session would stay and fail below.
        var sessions = await Eventually.Until(t => db.QueryAsync(
            """
            select a.usename, r.rolsuper
            from pg_stat_activity a join pg_roles r on r.oid = a.usesysid
            where a.datname = current_database() and a.backend_type = 'client backend' and a.pid <> pg_backend_pid()
            """,
            r => (Role: r.GetString(0), Superuser: r.GetBoolean(1)), t), found => found.All(s => !s.Superuser), TimeSpan.FromSeconds(10), Ct);

        Assert.NotEmpty(sessions);
        Assert.All(sessions, s => Assert.False(s.Superuser, $"a session of {s.Role}, a superuser, is open on the database"));
        Assert.All(sessions, s => Assert.Contains(s.Role, Services.Select(service => $"syncengine_{service}")));
        // Each service keeps at least its LISTEN connection for queue notifications open.
        foreach (var service in Services)
        {
            Assert.Contains(sessions, s => s.Role == $"syncengine_{service}");
        }
    }

    private static async Task<T> ScalarAsync<T>(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        return (T)(await command.ExecuteScalarAsync(Ct))!;
    }
}
