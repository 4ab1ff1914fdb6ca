using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using SyncEngine.AppHost;
using SyncEngine.AppHost.Postgres;
using Xunit;

namespace SyncEngine.AppHost.Tests;

/// <summary>
/// Which connection string each service gets: its own role's on the PostgreSQL the AppHost runs, the operator's
/// per-service one on an external server. And the key-encryption secret of development, kept across runs.
/// </summary>
public sealed class ServiceConnectionTests : IDisposable
{
    private const string SomeServer = "Host=db.invalid;Username=app;Password=secret;Database=syncengine";
    private readonly string _dataDirectory = Path.Combine(Path.GetTempPath(), $"syncengine-apphost-tests-{Guid.NewGuid():N}");

    [Fact]
    public void on_the_apphosts_own_postgres_each_service_connects_as_its_own_role_with_a_password_of_its_own()
    {
        var builder = Builder("--Postgres:Mode=system");
        var database = builder.AddSyncEngineDatabase();

        var connections = ServiceRoles.Services.ToDictionary(s => s, s => builder.AddServiceConnection(database, s).Resource);

        var roles = Assert.Single(database.Resource.Annotations.OfType<ServiceRoles>());
        foreach (var (service, connection) in connections)
        {
            Assert.Equal(ServiceRoles.ConnectionNameOf(service), connection.Name);
            Assert.Contains($"Username=syncengine_{service};", connection.ConnectionStringExpression.ValueExpression, StringComparison.Ordinal);
            Assert.DoesNotContain("Username=postgres", connection.ConnectionStringExpression.ValueExpression, StringComparison.Ordinal);
        }

        Assert.Equal(3, ServiceRoles.Services.Select(roles.PasswordOf).Distinct().Count());
    }

    [Fact]
    public async Task on_an_external_server_each_service_takes_the_connection_string_the_operator_set_for_it()
    {
        var builder = Builder("--Postgres:Mode=external", $"--ConnectionStrings:syncengine={SomeServer}",
            "--ConnectionStrings:syncengine-sync=Host=db.invalid;Username=syncengine_sync;Password=s;Database=syncengine");
        var database = builder.AddSyncEngineDatabase();

        var sync = builder.AddServiceConnection(database, "sync").Resource;
        var auth = builder.AddServiceConnection(database, "auth").Resource;

        Assert.Contains("Username=syncengine_sync", await sync.GetConnectionStringAsync(TestContext.Current.CancellationToken), StringComparison.Ordinal);
        // Not set for Auth: it falls back to the shared one (and the AppHost says so).
        Assert.Same(database.Resource, auth);
    }

    [Fact]
    public void the_development_key_encryption_secret_is_generated_once_and_kept()
    {
        var first = DevelopmentData.Secret(Builder(), "auth-key-encryption-key", () => "first");
        var second = DevelopmentData.Secret(Builder(), "auth-key-encryption-key", () => "second");

        Assert.Equal("first", first);
        Assert.Equal("first", second);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(_dataDirectory, "auth-key-encryption-key")));
        }
    }

    public void Dispose()
    {
        if (Directory.Exists(_dataDirectory))
        {
            Directory.Delete(_dataDirectory, recursive: true);
        }
    }

    private IDistributedApplicationBuilder Builder(params string[] args) => DistributedApplication.CreateBuilder(new DistributedApplicationOptions
    {
        Args = [.. args, $"--Postgres:DataDirectory={_dataDirectory}"],
        DisableDashboard = true,
        AssemblyName = typeof(PostgresSetup).Assembly.GetName().Name,
    });
}
