using Npgsql;
using SyncEngine.Backend.Messaging;
using Xunit;

namespace SyncEngine.Backend.Tests;

/// <summary>What a service's connections get by default, and that a connection string's own settings win.</summary>
public sealed class ConnectionDefaultsTests
{
    [Fact]
    public void a_connection_string_without_them_gets_prepared_statements_a_short_connect_timeout_and_no_multiplexing()
    {
        var connection = Applied("Host=db.example;Database=syncengine;Username=sync;Multiplexing=true");

        Assert.Equal(ConnectionDefaults.MaxAutoPrepare, connection.MaxAutoPrepare);
        Assert.Equal(ConnectionDefaults.ConnectTimeoutSeconds, connection.Timeout);
        Assert.False(connection.Multiplexing);
    }

    [Theory]
    [InlineData("Max Auto Prepare=0", 0)]
    [InlineData("Max Auto Prepare=8", 8)]
    [InlineData("maxautoprepare=12", 12)]
    public void a_connection_strings_own_max_auto_prepare_wins_zero_included(string setting, int expected)
    {
        var connection = Applied($"Host=db.example;Database=syncengine;{setting}");

        Assert.Equal(expected, connection.MaxAutoPrepare);
    }

    [Fact]
    public void a_connection_strings_own_timeout_wins()
    {
        var connection = Applied("Host=db.example;Timeout=30");

        Assert.Equal(30, connection.Timeout);
    }

    private static NpgsqlConnectionStringBuilder Applied(string connectionString)
    {
        var connection = new NpgsqlConnectionStringBuilder(connectionString);
        ConnectionDefaults.Apply(connection);
        return connection;
    }
}
