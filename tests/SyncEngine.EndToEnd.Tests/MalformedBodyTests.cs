using System.Net;
using SyncEngine.Testing;
using Xunit;

namespace SyncEngine.EndToEnd.Tests;

/// <summary>Bodies no serializer of ours would write: 400 `invalid-request`, never a 500, and nothing stored.</summary>
[Collection(SyncEngineCollection.Name)]
public sealed class MalformedBodyTests(SyncEngineApp app)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static TheoryData<string> Bodies =>
    [
        "{",
        "[]",
        "\"a string\"",
        "null",
        "{\"clientId\":42,\"scope\":\"read\",\"inviteCode\":\"x\"}",
        "{\"clientId\":\"not-a-uuid\",\"scope\":\"read\",\"inviteCode\":\"x\"}",
        "{\"clientId\":\"6f1c2f0e-8a6e-4c36-9f57-0b1f7b8d2a11\",\"scope\":[\"read\"],\"inviteCode\":{}}",
        "{\"clientId\":\"6f1c2f0e-8a6e-4c36-9f57-0b1f7b8d2a11\",\"scope\":\"read\",\"expiresInSeconds\":\"soon\",\"inviteCode\":7}",
    ];

    [Theory]
    [MemberData(nameof(Bodies))]
    public async Task a_malformed_grant_or_join_body_is_an_invalid_request(string json)
    {
        var (workspaceId, _, master) = await app.NewWorkspaceAsync(Ct);

        using var grant = await app.Gateway.SendRawJsonAsync(HttpMethod.Post, $"/api/workspaces/{workspaceId}/tokens", master, json, Ct);
        using var join = await app.Gateway.SendRawJsonAsync(HttpMethod.Post, $"/api/workspaces/{workspaceId}/join", null, json, Ct);

        await Problems.AssertProblem(grant, HttpStatusCode.BadRequest, "invalid-request");
        await Problems.AssertProblem(join, HttpStatusCode.BadRequest, "invalid-request");
        Assert.Single(await app.Api.ListTokensAsync(master, workspaceId, Ct));
    }
}
