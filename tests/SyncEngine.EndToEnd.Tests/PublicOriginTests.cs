using System.Net;
using Aspire.Hosting.Testing;
using SyncEngine.Testing;
using Xunit;

namespace SyncEngine.EndToEnd.Tests;

/// <summary>What the public origin shows: no metrics or health of its own, and discovery that no request can rewrite.</summary>
[Collection(SyncEngineCollection.Name)]
public sealed class PublicOriginTests(SyncEngineApp app)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("/metrics")]
    [InlineData("/health")]
    [InlineData("/alive")]
    public async Task the_gateway_does_not_serve_its_management_paths_publicly(string path)
    {
        using var response = await app.Gateway.GetAsync(path, Ct);

        await Problems.AssertProblem(response, HttpStatusCode.NotFound, "not-found");
    }

    [Fact]
    public async Task the_gateway_serves_its_metrics_on_its_management_port()
    {
        using var management = app.CreateServiceClient("gateway", "management");

        var metrics = await management.GetStringAsync("/metrics", Ct);

        Assert.Contains("http_server_request_duration_seconds", metrics);
    }

    [Fact]
    public async Task discovery_names_the_configured_origin_whatever_host_a_request_claims()
    {
        var expected = new Uri(app.App.GetEndpoint("gateway", "http"), "/.well-known/jwks.json");
        using var request = new HttpRequestMessage(HttpMethod.Get, "/.well-known/openid-configuration");
        request.Headers.Host = "attacker.example";
        request.Headers.TryAddWithoutValidation("X-Forwarded-Host", "attacker.example");
        request.Headers.TryAddWithoutValidation("X-Forwarded-Proto", "https");

        using var response = await app.Gateway.SendAsync(request, Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(expected, new Uri((await response.Json()).GetProperty("jwks_uri").GetString()!));
    }

    [Fact]
    public async Task a_token_is_accepted_by_every_service()
    {
        var (workspaceId, _, master) = await app.NewWorkspaceAsync(Ct);

        Assert.Equal(HttpStatusCode.OK, await app.Gateway.StatusAsync($"/api/workspaces/{workspaceId}", master, Ct));
        Assert.Equal(HttpStatusCode.OK, await app.Gateway.StatusAsync($"/api/workspaces/{workspaceId}/tokens", master, Ct));
        Assert.Equal(HttpStatusCode.NoContent, await app.Gateway.StatusAsync($"/api/workspaces/{workspaceId}/changes?after=0", master, Ct));
    }
}
