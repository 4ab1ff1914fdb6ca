using SyncEngine.Testing;
using Xunit;

namespace SyncEngine.EndToEnd.Tests;

/// <summary>Each service keeps its data and its durable inbox/outbox in its own schema, read from information_schema.</summary>
[Collection(SyncEngineCollection.Name)]
public sealed class StorageLayoutTests(SyncEngineApp app)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task each_service_schema_holds_its_own_wolverine_envelope_tables_and_public_holds_none()
    {
        await using var db = await app.OpenDatabaseAsync(Ct);
        var tables = await db.QueryAsync(
            "select table_schema, table_name from information_schema.tables where table_schema not in ('pg_catalog', 'information_schema')",
            r => (Schema: r.GetString(0), Table: r.GetString(1)), Ct);

        foreach (var schema in new[] { "auth", "workspace", "sync" })
        {
            foreach (var table in new[] { "wolverine_incoming_envelopes", "wolverine_outgoing_envelopes", "wolverine_dead_letters" })
            {
                Assert.Contains((schema, table), tables);
            }

            // Every service's listening queue lives in the one transport schema all of them share.
            Assert.Contains(("wolverine_queues", $"wolverine_queue_{schema}"), tables);
        }

        Assert.DoesNotContain(tables, t => t.Schema == "public");
        Assert.Contains(("workspace", "mt_events"), tables);
    }
}
