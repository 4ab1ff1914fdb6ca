using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Xunit;

namespace Services.Sync.Tests;

/// <summary>
/// The Sync service started as a process with a messaging or database setting that cannot work stops by itself within
/// seconds, saying which setting, before it touches its database (whose connection string here points nowhere).
/// </summary>
public sealed class MessagingStartupTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    public static TheoryData<string, string?, string> BadSettings => new()
    {
        { "kafka", null, "Messaging:Transport 'kafka' is not one of postgresql, rabbitmq" },
        { "rabbitmq", null, "ConnectionStrings:rabbitmq is not set" },
        { "rabbitmq", "broker.example:5672", "ConnectionStrings:rabbitmq is not an AMQP URI" },
        { "rabbitmq", $"amqp://app:pw@127.0.0.1:{ClosedPort()}", "the broker of ConnectionStrings:rabbitmq (127.0.0.1:" },
    };

    [Theory]
    [MemberData(nameof(BadSettings))]
    public async Task the_service_stops_at_start_naming_the_setting(string transport, string? broker, string expected) =>
        await StopsAtStartAsync(transport, broker, $"Host=127.0.0.1;Port={ClosedPort()};Username=nobody;Password=none;Database=none", expected);

    [Theory]
    [InlineData("", "ConnectionStrings:syncengine")]
    [InlineData("not a connection string", "ConnectionStrings:syncengine is not a valid PostgreSQL connection string")]
    [InlineData("Host=127.0.0.1;Port=notaport", "ConnectionStrings:syncengine is not a valid PostgreSQL connection string")]
    public async Task a_missing_or_malformed_database_connection_string_stops_the_service_at_start_naming_it(string database, string expected) =>
        await StopsAtStartAsync("postgresql", null, database, expected);

    private static async Task StopsAtStartAsync(string transport, string? broker, string database, string expected)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            ArgumentList = { Path.Combine(AppContext.BaseDirectory, "Services.Sync.dll") },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        info.Environment["Messaging__Transport"] = transport;
        info.Environment["ConnectionStrings__rabbitmq"] = broker ?? "";
        info.Environment["ConnectionStrings__syncengine"] = database;
        info.Environment["ASPNETCORE_URLS"] = "http://127.0.0.1:0";
        info.Environment["DOTNET_DbgEnableMiniDump"] = "0";

        var clock = Stopwatch.StartNew();
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        using var patience = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        patience.CancelAfter(Patience);
        try
        {
            await process.WaitForExitAsync(patience.Token);
        }
        catch (OperationCanceledException) when (!TestContext.Current.CancellationToken.IsCancellationRequested)
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"the service was still running after {Patience.TotalSeconds:0} s");
        }

        var output = await stdout + await stderr;
        Assert.NotEqual(0, process.ExitCode);
        Assert.Contains(expected, output, StringComparison.Ordinal);
        TestContext.Current.TestOutputHelper?.WriteLine($"stopped after {clock.Elapsed.TotalSeconds:0.0} s");
    }

    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
