using System.Net;
using System.Net.Http.Headers;
using SyncEngine.Testing;
using Xunit;

namespace SyncEngine.EndToEnd.Tests;

/// <summary>JSON routes take at most 64 KiB at the gateway; document routes keep their larger limits.</summary>
[Collection(SyncEngineCollection.Name)]
public sealed class BodyLimitTests(SyncEngineApp app)
{
    private const int JsonLimit = 64 * 1024;
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Valid JSON for the route, padded with a member the service would ignore, to exactly <paramref name="bytes"/>.</summary>
    private static string Padded(string json, int bytes)
    {
        var prefix = json.TrimEnd('}') + ",\"padding\":\"";
        return prefix + new string('x', bytes - prefix.Length - 2) + "\"}";
    }

    [Fact]
    public async Task a_claim_over_64_KiB_is_413_and_stores_nothing()
    {
        var workspaceId = Guid.NewGuid();
        var body = Padded($"{{\"workspaceId\":\"{workspaceId}\",\"clientId\":\"{Guid.NewGuid()}\"}}", JsonLimit + 1);

        using var response = await app.Gateway.SendAsync(HttpMethod.Post, "/api/workspaces", null, Ct,
            new StringContent(body, System.Text.Encoding.UTF8, "application/json"), ("Idempotency-Key", Guid.NewGuid().ToString()));

        await Problems.AssertProblem(response, HttpStatusCode.RequestEntityTooLarge, "payload-too-large");
        // Had the claim been stored, another owner's claim of the same id would be 409 workspace-exists.
        Assert.False(string.IsNullOrEmpty((await app.Api.ClaimAsync(workspaceId, Guid.NewGuid(), Guid.NewGuid().ToString(), Ct)).Token));
    }

    [Fact]
    public async Task a_json_body_of_exactly_64_KiB_still_reaches_the_service()
    {
        var workspaceId = Guid.NewGuid();
        var body = Padded($"{{\"workspaceId\":\"{workspaceId}\",\"clientId\":\"{Guid.NewGuid()}\"}}", JsonLimit);

        using var response = await app.Gateway.SendAsync(HttpMethod.Post, "/api/workspaces", null, Ct,
            new StringContent(body, System.Text.Encoding.UTF8, "application/json"), ("Idempotency-Key", Guid.NewGuid().ToString()));

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
    }

    [Fact]
    public async Task a_chunked_grant_over_64_KiB_is_413_and_grants_nothing()
    {
        // Chunked, so no Content-Length gives it away: Kestrel cuts it mid-stream and the gateway still answers 413. Only
        // a little over, so the client has written it all before the answer (a far larger one is met with a reset).
        var (workspaceId, _, master) = await app.NewWorkspaceAsync(Ct);
        var body = new StreamContent(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(
            Padded($"{{\"clientId\":\"{Guid.NewGuid()}\",\"scope\":\"read\"}}", JsonLimit + 1024))));
        body.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/workspaces/{workspaceId}/tokens") { Content = body };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", master);
        request.Headers.TransferEncodingChunked = true;

        using var response = await app.Gateway.SendAsync(request, Ct);

        await Problems.AssertProblem(response, HttpStatusCode.RequestEntityTooLarge, "payload-too-large");
        Assert.Single(await app.Api.ListTokensAsync(master, workspaceId, Ct));
    }

    [Fact]
    public async Task a_join_over_64_KiB_is_413()
    {
        var body = Padded($"{{\"clientId\":\"{Guid.NewGuid()}\",\"inviteCode\":\"x\"}}", JsonLimit + 1);

        using var response = await app.Gateway.SendRawJsonAsync(HttpMethod.Post, $"/api/workspaces/{Guid.NewGuid()}/join", null, body, Ct);

        await Problems.AssertProblem(response, HttpStatusCode.RequestEntityTooLarge, "payload-too-large");
    }

    [Fact]
    public async Task changes_and_snapshots_over_64_KiB_are_still_taken()
    {
        var (workspaceId, _, master) = await app.NewWorkspaceAsync(Ct);
        var change = new byte[4 * JsonLimit];
        Random.Shared.NextBytes(change);
        change[0] = 0; // an opaque document, whatever Sync learns to recognise

        var seq = await app.Api.PushAsync(master, workspaceId, change, Guid.NewGuid(), 1, Ct);
        await app.Api.UploadSnapshotAsync(master, workspaceId, change, seq, Ct);

        Assert.Equal(change, (await app.Api.PullAsync(master, workspaceId, 0, Ct)).Frames.Single().Data);
    }
}
