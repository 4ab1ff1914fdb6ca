using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Npgsql;
using SyncEngine.Testing;
using Xunit;

namespace SyncEngine.EndToEnd.Tests;

/// <summary>
/// Auth's signing keys are sealed (AES-256-GCM, stored as nonce | tag | ciphertext, the key id as associated data) with
/// Auth:KeyEncryptionKey, which is not in the database: a dump of the database alone cannot forge tokens.
/// </summary>
[Collection(SyncEngineCollection.Name)]
public sealed class SigningKeysAtRestTests(SyncEngineApp app)
{
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(20);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task a_database_dump_holds_no_usable_private_key_while_tokens_still_verify()
    {
        var workspace = await app.NewWorkspaceAsync(Ct);
        Assert.Equal(1, await app.Api.PushAsync(workspace.Master, workspace.WorkspaceId, [1], Guid.NewGuid(), 1, Ct));

        await using var db = await app.OpenDatabaseAsync(Ct);
        var rows = await StoredKeysAsync(db);
        Assert.Contains(rows, r => r.Id == Jwt.KeyId(workspace.Master));
        var published = await PublishedAsync();
        foreach (var row in rows)
        {
            Assert.Empty(Bytes(row.Data, "privateKeyPkcs8"));
            var sealedKey = Bytes(row.Data, "sealedPrivateKey");
            Assert.NotEmpty(sealedKey);
            Assert.ThrowsAny<CryptographicException>(() => ECDsa.Create().ImportPkcs8PrivateKey(sealedKey, out _));

            // With the secret (which the dump lacks) the same bytes are the very key the JWKS publishes.
            using var key = ECDsa.Create();
            var plain = Unseal(row.Id, sealedKey);
            key.ImportPkcs8PrivateKey(plain, out _);
            var parameters = key.ExportParameters(includePrivateParameters: true);
            if (published.TryGetValue(row.Id, out var point))
            {
                Assert.Equal(point, (Jwt.ToBase64Url(parameters.Q.X!), Jwt.ToBase64Url(parameters.Q.Y!)));
            }

            Assert.Equal(-1, sealedKey.AsSpan().IndexOf(plain));
            Assert.Equal(-1, sealedKey.AsSpan().IndexOf(parameters.D));
            Assert.DoesNotContain(Convert.ToBase64String(plain), row.Data.ToJsonString());
        }

        Assert.Equal(2, await app.Api.PushAsync(workspace.Master, workspace.WorkspaceId, [2], Guid.NewGuid(), 1, Ct));
    }

    [Fact]
    public void only_auth_is_given_the_key_encryption_secret()
    {
        // What the running processes were actually given, not what the app model says: the fixture's own secret is
        // unique, so only this app's processes can hold it.
        var holders = new List<string>();
        foreach (var process in System.Diagnostics.Process.GetProcesses())
        {
            using (process)
            {
                string name, variables;
                try
                {
                    name = process.ProcessName;
                    if (!(name.StartsWith("Services.", StringComparison.Ordinal) || name == "Gateway"))
                    {
                        continue;
                    }

                    variables = File.ReadAllText($"/proc/{process.Id}/environ");
                }
                catch (Exception e) when (e is IOException or InvalidOperationException)
                {
                    // It exited meanwhile (the services of other test runs on this machine come and go): it holds nothing now.
                    continue;
                }

                holders.AddRange(variables.Split('\0')
                    .Where(v => v.EndsWith("=" + app.KeyEncryptionKey, StringComparison.Ordinal))
                    .Select(v => $"{name}: {v[..v.IndexOf('=')]}"));
            }
        }

        Assert.Equal(["Services.Auth: Auth__KeyEncryptionKey"], holders.Distinct());
    }

    [Fact]
    public async Task a_key_stored_in_plain_before_encryption_is_sealed_by_auth_and_still_published()
    {
        await using var db = await app.OpenDatabaseAsync(Ct);
        using var legacy = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var plain = legacy.ExportPkcs8PrivateKey();
        var kid = Convert.ToHexString(RandomNumberGenerator.GetBytes(12)).ToLowerInvariant();
        // A row as Auth wrote it before keys were sealed; it activates far ahead, so it never signs during the tests.
        var row = (await StoredKeysAsync(db))[0].Data.DeepClone().AsObject();
        Set(row, "id", kid);
        Set(row, "privateKeyPkcs8", Convert.ToBase64String(plain));
        Set(row, "sealedPrivateKey", "");
        Set(row, "sealedWith", "");
        Set(row, "createdAt", DateTimeOffset.UtcNow.ToString("O"));
        Set(row, "activatesAt", DateTimeOffset.UtcNow.AddYears(10).ToString("O"));
        await using (var insert = new NpgsqlCommand(
            """
            insert into auth.mt_doc_signingkey (id, data, mt_dotnet_type, mt_version, mt_last_modified)
            select @id, @data::jsonb, mt_dotnet_type, gen_random_uuid(), now() from auth.mt_doc_signingkey limit 1
            """, db))
        {
            insert.Parameters.AddWithValue("id", kid);
            insert.Parameters.AddWithValue("data", row.ToJsonString());
            await insert.ExecuteNonQueryAsync(Ct);
        }

        // Auth rereads its ring every second here (Auth:KeyReloadEvery) and seals what it finds in plain.
        var stored = await Eventually.Until(async _ => (await StoredKeysAsync(db)).Single(r => r.Id == kid).Data,
            data => Bytes(data, "privateKeyPkcs8").Length == 0, Settle, Ct);
        Assert.Empty(Bytes(stored, "privateKeyPkcs8"));
        Assert.Equal(plain, Unseal(kid, Bytes(stored, "sealedPrivateKey")));

        var published = await Eventually.Until(_ => PublishedAsync(), keys => keys.ContainsKey(kid), Settle, Ct);
        var point = legacy.ExportParameters(includePrivateParameters: false).Q;
        Assert.Equal((Jwt.ToBase64Url(point.X!), Jwt.ToBase64Url(point.Y!)), published[kid]);
    }

    private static async Task<List<(string Id, JsonObject Data)>> StoredKeysAsync(NpgsqlConnection db) =>
        await db.QueryAsync("select id, data::text from auth.mt_doc_signingkey", r => (r.GetString(0), JsonNode.Parse(r.GetString(1))!.AsObject()), Ct);

    private async Task<Dictionary<string, (string X, string Y)>> PublishedAsync()
    {
        using var response = await app.Gateway.GetAsync("/.well-known/jwks.json", Ct);
        return (await response.Json()).GetProperty("keys").EnumerateArray()
            .ToDictionary(k => k.GetProperty("kid").GetString()!, k => (k.GetProperty("x").GetString()!, k.GetProperty("y").GetString()!));
    }

    /// <summary>The stored document's property, whatever casing the document serializer chose.</summary>
    private static byte[] Bytes(JsonObject data, string property) =>
        data.FirstOrDefault(p => string.Equals(p.Key, property, StringComparison.OrdinalIgnoreCase)).Value is { } value
        && value.GetValueKind() == JsonValueKind.String
            ? Convert.FromBase64String(value.GetValue<string>())
            : [];

    private static void Set(JsonObject data, string property, string value)
    {
        var name = data.Select(p => p.Key).FirstOrDefault(k => string.Equals(k, property, StringComparison.OrdinalIgnoreCase)) ?? property;
        data[name] = value;
    }

    private byte[] Unseal(string kid, byte[] sealedKey) => AuthSigningKey.Unseal(app.KeyEncryptionKey, kid, sealedKey);
}
