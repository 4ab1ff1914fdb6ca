using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;
using SyncEngine.ServiceDefaults.Problems;
using Xunit;

namespace SyncEngine.Backend.Tests;

public sealed class DatabaseOutageTests
{
    [Theory]
    [InlineData(PostgresErrorCodes.AdminShutdown)]
    [InlineData(PostgresErrorCodes.CrashShutdown)]
    [InlineData(PostgresErrorCodes.CannotConnectNow)]
    [InlineData(PostgresErrorCodes.ConnectionFailure)]
    [InlineData(PostgresErrorCodes.TooManyConnections)]
    public void a_server_going_away_is_an_outage(string sqlState) =>
        Assert.True(DatabaseOutage.Is(new InvalidOperationException("wrapped", Postgres(sqlState))));

    [Theory]
    [InlineData(PostgresErrorCodes.UniqueViolation)]
    [InlineData(PostgresErrorCodes.SerializationFailure)]
    [InlineData(PostgresErrorCodes.UndefinedTable)]
    public void an_error_of_the_statement_is_not(string sqlState) =>
        Assert.False(DatabaseOutage.Is(Postgres(sqlState)));

    [Fact]
    public void an_exception_without_a_database_in_it_is_not() =>
        Assert.False(DatabaseOutage.Is(new InvalidOperationException("no", new ArgumentException("inner"))));

    [Fact]
    public async Task a_request_that_cannot_reach_the_database_is_a_503_problem_with_retry_after()
    {
        var ct = TestContext.Current.CancellationToken;
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        builder.Services.AddSyncEngineProblemDetails();
        await using var app = builder.Build();
        app.UseSyncEngineProblemDetails();
        // A real connection attempt to a loopback port nobody listens on: refused, as while PostgreSQL is stopped.
        var closedPort = ClosedPort();
        app.MapGet("/", async () =>
        {
            await using var connection = new NpgsqlConnection($"Host=127.0.0.1;Port={closedPort};Username=x;Password=x;Timeout=2");
            await connection.OpenAsync();
            return Results.Ok();
        });
        await app.StartAsync(ct);
        using var client = new HttpClient { BaseAddress = new Uri(app.Urls.Single()) };

        using var response = await client.GetAsync("/", ct);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(TimeSpan.FromSeconds(5), response.Headers.RetryAfter?.Delta);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(ct));
        Assert.Equal(ProblemCodes.Unavailable, body.RootElement.GetProperty("code").GetString());
    }

    private static PostgresException Postgres(string sqlState) => new("message", "FATAL", "FATAL", sqlState);

    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
