using Npgsql;

namespace SyncEngine.Testing;

/// <summary>For tests that check what is stored, not only what is answered.</summary>
public static class Sql
{
    public static async Task<List<T>> QueryAsync<T>(this NpgsqlConnection connection, string sql, Func<NpgsqlDataReader, T> read,
        CancellationToken ct, params object[] parameters)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var parameter in parameters)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = parameter });
        }

        await using var reader = await command.ExecuteReaderAsync(ct);
        var rows = new List<T>();
        while (await reader.ReadAsync(ct))
        {
            rows.Add(read(reader));
        }

        return rows;
    }
}
