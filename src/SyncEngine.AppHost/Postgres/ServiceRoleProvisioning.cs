using Npgsql;

namespace SyncEngine.AppHost.Postgres;

/// <summary>
/// Runs service-roles.sql as the superuser with each service's password as a setting, as an operator runs it with psql.
/// Free of Aspire types, so the services' integration tests (tests/SyncEngine.Testing) compile this same file in.
/// </summary>
public static class ServiceRoleProvisioning
{
    private const string ScriptResource = "SyncEngine.AppHost.Postgres.service-roles.sql";

    public static async Task RunAsync(string superuserConnectionString, IReadOnlyDictionary<string, string> passwords, CancellationToken ct)
    {
        var builder = new NpgsqlConnectionStringBuilder(superuserConnectionString) { Pooling = false };
        await using var connection = new NpgsqlConnection(builder.ConnectionString);
        await connection.OpenAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        foreach (var (service, password) in passwords)
        {
            await using var set = new NpgsqlCommand("select set_config($1, $2, true)", connection, transaction);
            set.Parameters.AddWithValue($"syncengine.{service}_password");
            set.Parameters.AddWithValue(password);
            await set.ExecuteNonQueryAsync(ct);
        }

        await using (var provision = new NpgsqlCommand(Script(), connection, transaction))
        {
            await provision.ExecuteNonQueryAsync(ct);
        }

        await transaction.CommitAsync(ct);
    }

    private static string Script()
    {
        using var stream = typeof(ServiceRoleProvisioning).Assembly.GetManifestResourceStream(ScriptResource)
            ?? throw new InvalidOperationException($"{ScriptResource} is not embedded in {typeof(ServiceRoleProvisioning).Assembly.GetName().Name}.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
