using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using SyncEngine.Testing;
using Xunit;

namespace SyncEngine.EndToEnd.Tests;

[Collection(SyncEngineCollection.Name)]
public sealed class GatewayTests(SyncEngineApp app)
{
    [Fact]
    public async Task web_client_is_served_at_the_root()
    {
        using var response = await app.Gateway.GetAsync("/", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("<title>Meal journal — SyncEngine</title>", await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task unknown_api_route_is_a_problem_not_the_web_page()
    {
        using var response = await app.Gateway.GetAsync("/api/no-such-thing", TestContext.Current.CancellationToken);

        await Problems.AssertProblem(response, HttpStatusCode.NotFound, "not-found");
    }

    [Fact]
    public async Task oversized_body_is_refused_with_413_before_reaching_a_service()
    {
        var body = new ByteArrayContent(new byte[17 * 1024 * 1024]);
        body.Headers.ContentType = new MediaTypeHeaderValue("application/json");

        using var response = await app.Gateway.PostAsync("/api/workspaces", body, TestContext.Current.CancellationToken);

        await Problems.AssertProblem(response, HttpStatusCode.RequestEntityTooLarge, "payload-too-large");
    }

    [Theory]
    [InlineData("/api/workspaces/00000000-0000-0000-0000-000000000001/changes?after=0")]
    [InlineData("/.well-known/jwks.json")]
    [InlineData("/")]
    public async Task management_port_serves_neither_the_api_nor_the_web_client(string path)
    {
        using var management = app.CreateServiceClient("gateway", "management");

        using var response = await management.GetAsync(path, TestContext.Current.CancellationToken);

        await Problems.AssertProblem(response, HttpStatusCode.NotFound, "not-found");
    }

    [Theory]
    [InlineData("auth")]
    [InlineData("workspace")]
    [InlineData("sync")]
    [InlineData("gateway")]
    public async Task every_service_reports_health_and_liveness(string service)
    {
        // The gateway answers these on its management port only; its public port is for the public.
        using var client = app.CreateServiceClient(service, service == "gateway" ? "management" : "http");

        using var health = await client.GetAsync("/health", TestContext.Current.CancellationToken);
        using var alive = await client.GetAsync("/alive", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.Equal(HttpStatusCode.OK, alive.StatusCode);
    }
}
