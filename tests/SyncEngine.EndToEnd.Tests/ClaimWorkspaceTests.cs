using System.Net;
using System.Net.Http.Json;
using System.Text;
using Xunit;

namespace SyncEngine.EndToEnd.Tests;

[Collection(SyncEngineCollection.Name)]
public sealed class ClaimWorkspaceTests(SyncEngineApp app)
{
    [Fact]
    public async Task claiming_a_new_workspace_makes_the_client_its_owner()
    {
        var workspaceId = Guid.NewGuid();
        var clientId = Guid.NewGuid();

        using var response = await app.Gateway.PostAsJsonAsync(
            "/api/workspaces", new { workspaceId, clientId }, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var body = await response.Json();
        Assert.Equal(workspaceId, body.GetProperty("workspaceId").GetGuid());
        Assert.Equal(clientId, body.GetProperty("ownerClientId").GetGuid());
    }

    [Fact]
    public async Task claiming_a_workspace_someone_owns_is_refused_with_workspace_exists()
    {
        var workspaceId = Guid.NewGuid();
        var ct = TestContext.Current.CancellationToken;
        using var first = await app.Gateway.PostAsJsonAsync("/api/workspaces", new { workspaceId, clientId = Guid.NewGuid() }, ct);
        Assert.Equal(HttpStatusCode.Created, first.StatusCode);

        using var second = await app.Gateway.PostAsJsonAsync("/api/workspaces", new { workspaceId, clientId = Guid.NewGuid() }, ct);

        await Problems.AssertProblem(second, HttpStatusCode.Conflict, "workspace-exists");
    }

    [Theory]
    [InlineData("{")]
    [InlineData("not json at all")]
    [InlineData("[]")]
    [InlineData("{\"workspaceId\":\"not-a-uuid\",\"clientId\":\"00000000-0000-0000-0000-000000000001\"}")]
    [InlineData("{\"workspaceId\":\"00000000-0000-0000-0000-000000000000\",\"clientId\":\"6f1c2f0e-8a6e-4c36-9f57-0b1f7b8d2a11\"}")]
    [InlineData("{\"workspaceId\":\"6f1c2f0e-8a6e-4c36-9f57-0b1f7b8d2a11\"}")]
    [InlineData("{}")]
    public async Task malformed_claims_are_invalid_requests_not_server_errors(string json)
    {
        using var response = await app.Gateway.PostAsync(
            "/api/workspaces", new StringContent(json, Encoding.UTF8, "application/json"), TestContext.Current.CancellationToken);

        await Problems.AssertProblem(response, HttpStatusCode.BadRequest, "invalid-request");
    }

    [Fact]
    public async Task a_claim_without_a_json_body_is_an_invalid_request()
    {
        using var response = await app.Gateway.PostAsync(
            "/api/workspaces", new StringContent("workspaceId=1", Encoding.UTF8, "text/plain"), TestContext.Current.CancellationToken);

        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.True(response.StatusCode is HttpStatusCode.BadRequest or HttpStatusCode.UnsupportedMediaType, $"got {response.StatusCode}");
    }
}
