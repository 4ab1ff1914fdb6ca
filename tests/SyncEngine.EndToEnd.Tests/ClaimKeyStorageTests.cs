using System.Security.Cryptography;
using System.Text;
using Npgsql;
using Xunit;

namespace SyncEngine.EndToEnd.Tests;

/// <summary>A claim's Idempotency-Key gets the master token again, so the store keeps only its SHA-256.</summary>
[Collection(SyncEngineCollection.Name)]
public sealed class ClaimKeyStorageTests(SyncEngineApp app)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task the_claim_key_is_stored_only_as_its_hash_and_a_retry_still_gets_the_master_token()
    {
        var workspaceId = Guid.NewGuid();
        var owner = Guid.NewGuid();
        var key = $"claim-key-{Guid.NewGuid():N}";
        await app.Api.ClaimAsync(workspaceId, owner, key, Ct);

        await using var connection = new NpgsqlConnection(await app.ConnectionStringAsync(Ct));
        await connection.OpenAsync(Ct);
        var events = await RowsAsync(connection, "select data::text from workspace.mt_events where stream_id = @id", workspaceId);
        var snapshots = await RowsAsync(connection, "select data::text from workspace.mt_doc_workspace where id = @id", workspaceId);

        var created = Assert.Single(events);
        Assert.Single(snapshots);
        foreach (var stored in events.Concat(snapshots))
        {
            Assert.DoesNotContain(key, stored);
            Assert.Contains(Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(key))), stored, StringComparison.OrdinalIgnoreCase);
        }

        var retry = await app.Api.ClaimAsync(workspaceId, owner, key, Ct);
        Assert.True((await app.Api.GetWorkspaceAsync(retry.Token, workspaceId, Ct)).TryGetProperty("members", out _), "the retry's token is not the master's");
        Assert.Equal([created], await RowsAsync(connection, "select data::text from workspace.mt_events where stream_id = @id", workspaceId));
    }

    private static async Task<List<string>> RowsAsync(NpgsqlConnection connection, string sql, Guid id)
    {
        await using var command = new NpgsqlCommand(sql, connection) { Parameters = { new("id", id) } };
        await using var reader = await command.ExecuteReaderAsync(Ct);
        var rows = new List<string>();
        while (await reader.ReadAsync(Ct))
        {
            rows.Add(reader.GetString(0));
        }

        return rows;
    }
}
