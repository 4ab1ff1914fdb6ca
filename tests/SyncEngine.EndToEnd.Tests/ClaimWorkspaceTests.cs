using System.Net;
using System.Text;
using SyncEngine.Client;
using SyncEngine.Testing;
using Xunit;

namespace SyncEngine.EndToEnd.Tests;

[Collection(SyncEngineCollection.Name)]
public class ClaimWorkspaceTests(SyncEngineApp app)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task claiming_a_new_workspace_returns_the_owners_master_token()
    {
        var workspaceId = Guid.NewGuid();
        var clientId = Guid.NewGuid();

        var claimed = await app.Api.ClaimAsync(workspaceId, clientId, Guid.NewGuid().ToString(), Ct);

        Assert.Equal(workspaceId, claimed.WorkspaceId);
        Assert.Equal(clientId, claimed.OwnerClientId);
        var info = await app.Api.GetWorkspaceAsync(claimed.Token, workspaceId, Ct);
        Assert.Equal(clientId, info.GetProperty("ownerClientId").GetGuid());
    }

    [Fact]
    public async Task a_retried_claim_with_the_same_key_gets_the_master_token_again()
    {
        var workspaceId = Guid.NewGuid();
        var clientId = Guid.NewGuid();
        var key = Guid.NewGuid().ToString();
        var first = await app.Api.ClaimAsync(workspaceId, clientId, key, Ct);

        var retry = await app.Api.ClaimAsync(workspaceId, clientId, key, Ct);

        Assert.Equal(first.CreatedAt, retry.CreatedAt);
        var info = await app.Api.GetWorkspaceAsync(retry.Token, workspaceId, Ct);
        Assert.True(info.TryGetProperty("members", out _), "the retried claim's token is not the master's");
        var history = await app.Api.GetHistoryAsync(retry.Token, workspaceId, Ct);
        Assert.Equal("created", Assert.Single(history.EnumerateArray()).GetProperty("type").GetString());
    }

    [Fact]
    public async Task claiming_a_workspace_with_another_key_or_client_is_refused_with_workspace_exists()
    {
        var workspaceId = Guid.NewGuid();
        var owner = Guid.NewGuid();
        var key = Guid.NewGuid().ToString();
        await app.Api.ClaimAsync(workspaceId, owner, key, Ct);

        var otherClient = await Assert.ThrowsAsync<SyncEngineApiException>(() => app.Api.ClaimAsync(workspaceId, Guid.NewGuid(), key, Ct));
        var otherKey = await Assert.ThrowsAsync<SyncEngineApiException>(() => app.Api.ClaimAsync(workspaceId, owner, Guid.NewGuid().ToString(), Ct));

        Assert.Equal((HttpStatusCode.Conflict, "workspace-exists"), (otherClient.Status, otherClient.Code));
        Assert.Equal((HttpStatusCode.Conflict, "workspace-exists"), (otherKey.Status, otherKey.Code));
    }

    [Fact]
    public async Task a_claim_without_an_idempotency_key_is_an_invalid_request()
    {
        using var response = await app.Gateway.PostAsync("/api/workspaces", new StringContent(
            $"{{\"workspaceId\":\"{Guid.NewGuid()}\",\"clientId\":\"{Guid.NewGuid()}\"}}", Encoding.UTF8, "application/json"), Ct);

        await Problems.AssertProblem(response, HttpStatusCode.BadRequest, "invalid-request");
    }

    [Theory]
    [InlineData("{")]
    [InlineData("not json at all")]
    [InlineData("[]")]
    [InlineData("null")]
    [InlineData("{\"workspaceId\":\"not-a-uuid\",\"clientId\":\"00000000-0000-0000-0000-000000000001\"}")]
    [InlineData("{\"workspaceId\":\"00000000-0000-0000-0000-000000000000\",\"clientId\":\"6f1c2f0e-8a6e-4c36-9f57-0b1f7b8d2a11\"}")]
    [InlineData("{\"workspaceId\":\"6f1c2f0e-8a6e-4c36-9f57-0b1f7b8d2a11\"}")]
    [InlineData("{}")]
    public async Task malformed_claims_are_invalid_requests_not_server_errors(string json)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/workspaces") { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        request.Headers.Add("Idempotency-Key", Guid.NewGuid().ToString());

        using var response = await app.Gateway.SendAsync(request, Ct);

        await Problems.AssertProblem(response, HttpStatusCode.BadRequest, "invalid-request");
    }

    [Fact]
    public async Task a_claim_without_a_json_body_is_refused_with_a_problem()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/workspaces") { Content = new StringContent("workspaceId=1", Encoding.UTF8, "text/plain") };
        request.Headers.Add("Idempotency-Key", Guid.NewGuid().ToString());

        using var response = await app.Gateway.SendAsync(request, Ct);

        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.True(response.StatusCode is HttpStatusCode.BadRequest or HttpStatusCode.UnsupportedMediaType, $"got {response.StatusCode}");
    }
}
