using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Configuration;
using SyncEngine.Backend.Messaging;
using Xunit;

namespace SyncEngine.Backend.Tests;

/// <summary>Which transport <c>Messaging:Transport</c> chooses, and every setting that cannot work refused naming it.</summary>
public sealed class MessagingTransportTests
{
    private const string Password = "s3cret-password";

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("  ")]
    [InlineData("postgresql")]
    [InlineData("PostgreSQL")]
    public void unset_or_postgresql_keeps_the_queues_in_postgresql(string? transport)
    {
        var chosen = MessagingTransport.From(Settings(transport, broker: $"amqp://app:{Password}@broker.invalid"));

        Assert.Equal(MessagingTransport.PostgreSql, chosen.Name);
        Assert.Null(chosen.Broker);
    }

    [Theory]
    [InlineData("rabbitmq", "amqp://app:pw@broker.example:5673/sync")]
    [InlineData(" RabbitMQ ", "amqps://app:pw@broker.example")]
    public void rabbitmq_takes_the_broker_of_its_connection_string(string transport, string broker)
    {
        var chosen = MessagingTransport.From(Settings(transport, broker));

        Assert.True(chosen.IsRabbitMq);
        Assert.Equal(new Uri(broker), chosen.Broker);
    }

    [Fact]
    public void an_unknown_transport_is_refused_naming_the_setting_and_the_choices()
    {
        var refused = Assert.Throws<MessagingSettingsException>(() => MessagingTransport.From(Settings("kafka", broker: null)));

        Assert.Contains("Messaging:Transport 'kafka'", refused.Message, StringComparison.Ordinal);
        Assert.Contains("postgresql, rabbitmq", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void rabbitmq_without_a_connection_string_is_refused_naming_it()
    {
        var refused = Assert.Throws<MessagingSettingsException>(() => MessagingTransport.From(Settings("rabbitmq", broker: " ")));

        Assert.Contains("ConnectionStrings:rabbitmq is not set", refused.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData($"http://app:{Password}@broker.example")]
    [InlineData($"host=broker.example;username=app;password={Password}")]
    [InlineData($"amqp:/{Password}")]
    public void a_connection_string_that_is_not_an_amqp_uri_is_refused_without_echoing_it(string broker)
    {
        var refused = Assert.Throws<MessagingSettingsException>(() => MessagingTransport.From(Settings("rabbitmq", broker)));

        Assert.Contains("ConnectionStrings:rabbitmq is not an AMQP URI", refused.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(Password, refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task a_broker_that_refuses_connections_is_refused_at_once_naming_the_setting()
    {
        var closedPort = FreePort();
        var transport = MessagingTransport.From(Settings("rabbitmq", $"amqp://app:{Password}@127.0.0.1:{closedPort}"));

        var clock = Stopwatch.StartNew();
        var refused = await Assert.ThrowsAsync<MessagingSettingsException>(
            () => transport.EnsureBrokerReachableAsync(TimeSpan.FromSeconds(5), TestContext.Current.CancellationToken));

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"took {clock.Elapsed}");
        Assert.Contains($"ConnectionStrings:rabbitmq (127.0.0.1:{closedPort}) did not accept a connection", refused.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(Password, refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task a_broker_that_accepts_and_never_answers_is_refused_within_the_timeout()
    {
        // The worst case: a port that takes the connection and never speaks AMQP.
        using var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        var port = ((IPEndPoint)silent.LocalEndpoint).Port;
        var transport = MessagingTransport.From(Settings("rabbitmq", $"amqp://app:{Password}@127.0.0.1:{port}"));

        var clock = Stopwatch.StartNew();
        var refused = await Assert.ThrowsAsync<MessagingSettingsException>(
            () => transport.EnsureBrokerReachableAsync(TimeSpan.FromSeconds(2), TestContext.Current.CancellationToken));

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"took {clock.Elapsed}");
        Assert.True(silent.Pending(), "nothing connected to the silent port, so the test proved nothing");
        Assert.Contains("ConnectionStrings:rabbitmq", refused.Message, StringComparison.Ordinal);
    }

    private static IConfiguration Settings(string? transport, string? broker) =>
        new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            [MessagingTransport.Setting] = transport,
            [MessagingTransport.BrokerSetting] = broker,
        }).Build();

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
