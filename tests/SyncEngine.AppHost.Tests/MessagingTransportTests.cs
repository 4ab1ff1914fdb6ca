using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using SyncEngine.AppHost.Messaging;
using SyncEngine.AppHost.Postgres;
using Xunit;

namespace SyncEngine.AppHost.Tests;

/// <summary>
/// Which broker each <c>Messaging:Transport</c> brings into the app model, and that a broker that cannot be had stops the
/// AppHost at once naming what to install or set: the app model is built, nothing is started.
/// </summary>
public sealed class MessagingTransportTests : IDisposable
{
    private const string SomeBroker = "amqp://app:secret@broker.invalid:5672";
    private const string NoContainers = "--ASPIRE_CONTAINER_RUNTIME=no-such-container-runtime";
    private readonly string _dataDirectory = Path.Combine(Path.GetTempPath(), $"syncengine-apphost-tests-{Guid.NewGuid():N}");

    [Theory]
    [InlineData("")]
    [InlineData("postgresql")]
    public void postgresql_or_nothing_brings_no_broker(string transport) =>
        Assert.Null(AddMessaging($"--Messaging:Transport={transport}", $"--ConnectionStrings:rabbitmq={SomeBroker}"));

    [Fact]
    public async Task rabbitmq_with_a_connection_string_uses_that_broker()
    {
        var broker = AddMessaging("--Messaging:Transport=rabbitmq", $"--ConnectionStrings:rabbitmq={SomeBroker}");

        Assert.Equal(MessagingSetup.ConnectionName, broker!.Name);
        Assert.Equal(SomeBroker, await ((IResourceWithConnectionString)broker).GetConnectionStringAsync(TestContext.Current.CancellationToken));
    }

    [Fact]
    public void rabbitmq_without_a_connection_string_or_containers_runs_the_system_rabbitmq_server_in_a_folder_of_its_own()
    {
        var broker = AddMessaging("--Messaging:Transport=rabbitmq", NoContainers);

        var node = Assert.IsType<RabbitMqProcessResource>(broker);
        Assert.IsAssignableFrom<ExecutableResource>(node);
        var config = File.ReadAllText(Path.Combine(_dataDirectory, "rabbitmq", "rabbitmq.conf"));
        Assert.Contains($"default_user = {RabbitMqProcessResource.UserName}", config, StringComparison.Ordinal);
    }

    [Fact]
    public void an_unknown_transport_is_refused_naming_the_setting()
    {
        var refused = Assert.Throws<PrerequisiteMissingException>(() => AddMessaging("--Messaging:Transport=kafka"));

        Assert.Contains("Messaging:Transport 'kafka' is not one of postgresql, rabbitmq", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void rabbitmq_with_no_broker_to_be_had_is_refused_naming_what_to_install_or_set()
    {
        var refused = Assert.Throws<PrerequisiteMissingException>(() =>
            AddMessaging("--Messaging:Transport=rabbitmq", NoContainers, "--RabbitMq:BinDirectory=/nonexistent/rabbitmq/bin"));

        Assert.Contains("apt-get install rabbitmq-server", refused.Message, StringComparison.Ordinal);
        Assert.Contains("ConnectionStrings:rabbitmq", refused.Message, StringComparison.Ordinal);
    }

    public void Dispose()
    {
        if (Directory.Exists(_dataDirectory))
        {
            Directory.Delete(_dataDirectory, recursive: true);
        }
    }

    private IResource? AddMessaging(params string[] args)
    {
        var builder = DistributedApplication.CreateBuilder(new DistributedApplicationOptions
        {
            Args = [.. args, $"--Postgres:DataDirectory={_dataDirectory}"],
            DisableDashboard = true,
            AssemblyName = typeof(MessagingSetup).Assembly.GetName().Name,
        });
        return builder.AddSyncEngineMessaging()?.Resource;
    }
}
