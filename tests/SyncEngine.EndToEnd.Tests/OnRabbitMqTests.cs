using System.Text;
using Aspire.Hosting.Testing;
using RabbitMQ.Client;
using Xunit;

namespace SyncEngine.EndToEnd.Tests;

/// <summary>
/// The app with Messaging:Transport=rabbitmq, on a RabbitMQ node the AppHost runs from the system's rabbitmq-server,
/// checked to have every service consuming its queue there before a test runs.
/// </summary>
public sealed class RabbitMqApp : SyncEngineApp
{
    public override string Transport => "rabbitmq";

    /// <summary>No test here reads traces (ClaimTraceTests runs on the PostgreSQL app).</summary>
    protected override bool WithDashboard => false;

    public override async ValueTask InitializeAsync()
    {
        await base.InitializeAsync();
        await using var connection = await ConnectAsync(CancellationToken.None);
        await using var channel = await connection.CreateChannelAsync();
        foreach (var queue in new[] { "auth", "workspace", "sync" })
        {
            // Throws when the queue does not exist: a service that still used PostgreSQL's queues would leave it so.
            var declared = await channel.QueueDeclarePassiveAsync(queue);
            if (declared.ConsumerCount == 0)
            {
                throw new InvalidOperationException($"Nothing consumes the RabbitMQ queue '{queue}'.");
            }
        }
    }

    public async Task<IConnection> ConnectAsync(CancellationToken ct)
    {
        var broker = await App.GetConnectionStringAsync("rabbitmq", ct)
            ?? throw new InvalidOperationException("The app has no rabbitmq connection string.");
        return await new ConnectionFactory { Uri = new Uri(broker), AutomaticRecoveryEnabled = false }.CreateConnectionAsync(ct);
    }
}

/// <summary>
/// The journeys whose messages cross services, on RabbitMQ: a claim and an invite (Workspace asks Auth for the master
/// token and waits for the reply, a retry asks again; Auth and Sync learn of the workspace; Workspace of the grant),
/// revocations (Auth to Sync and Workspace, within DESIGN's second), and a message that waits for a stopped service. Same tests as on PostgreSQL, one more app start.
/// It also runs what does not depend on the transport (KeyRotationTests, CliTests, AdminWorkspaceViewsTests,
/// UsageTests, and the protocol conformance suite, ConformanceSuiteTests): xUnit runs the two apps' collections side by
/// side, and the PostgreSQL app's collection, its tests one after another, is the module's longest path
/// (docs/benchmarks.md, "The test suite's time").
/// </summary>
[CollectionDefinition(Name)]
public sealed class RabbitMqCollection : ICollectionFixture<RabbitMqApp>
{
    public const string Name = "SyncEngine app on RabbitMQ";
}

[Collection(RabbitMqCollection.Name)]
public sealed class InviteJourneyOnRabbitMqTests(RabbitMqApp app) : InviteJourneyTests(app);

[Collection(RabbitMqCollection.Name)]
public sealed class RevocationJourneyOnRabbitMqTests(RabbitMqApp app) : RevocationJourneyTests(app);

[Collection(RabbitMqCollection.Name)]
public sealed class QueuedDeliveryOnRabbitMqTests(RabbitMqApp app) : QueuedDeliveryTests(app)
{
    /// <summary>
    /// Messages naming the workspace that wait in Workspace's RabbitMQ queue: read without acknowledging them, so closing
    /// the channel puts each one back (Workspace, when running, holds what it has taken, which a read does not see).
    /// </summary>
    protected override async Task<long> QueuedForWorkspaceAsync(Npgsql.NpgsqlConnection db, Guid workspaceId, CancellationToken ct)
    {
        await using var connection = await app.ConnectAsync(ct);
        await using var channel = await connection.CreateChannelAsync(cancellationToken: ct);
        long count = 0;
        while (await channel.BasicGetAsync("workspace", autoAck: false, ct) is { } message)
        {
            if (Encoding.UTF8.GetString(message.Body.Span).Contains(workspaceId.ToString(), StringComparison.Ordinal))
            {
                count++;
            }
        }

        return count;
    }
}
