using System.Net;
using SyncEngine.Testing;
using Xunit;

namespace SyncEngine.EndToEnd.Tests;

/// <summary>
/// Schema versions are bounded by the newest released one (Sync:MaxSchemaVersion, 3 in the test app): a writer can no
/// longer move a workspace to a version every real client is then refused at.
/// </summary>
[Collection(SyncEngineCollection.Name)]
public sealed class SchemaVersionBoundTests(SyncEngineApp app)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private Task<HttpResponseMessage> PushAsync(Guid workspaceId, string token, int version) =>
        app.Gateway.SendAsync(HttpMethod.Post, $"/api/workspaces/{workspaceId}/changes", token, Ct,
            new ByteArrayContent([1, 2, 3]), ("Idempotency-Key", Guid.NewGuid().ToString()), ("Sync-Schema-Version", version.ToString()));

    [Fact]
    public async Task a_guest_push_above_the_released_schema_version_is_unknown_version_stores_nothing_and_real_clients_keep_pushing()
    {
        var (workspaceId, _, master) = await app.NewWorkspaceAsync(Ct);
        var (_, guest) = await app.NewMemberAsync(workspaceId, master, "read_write", Ct);

        foreach (var version in new[] { int.MaxValue, SyncEngineApp.MaxSchemaVersion + 1 })
        {
            using var refused = await PushAsync(workspaceId, guest, version);
            var problem = await Problems.AssertProblem(refused, HttpStatusCode.BadRequest, "unknown-version");
            Assert.Equal(SyncEngineApp.MaxSchemaVersion, problem.GetProperty("maxSchemaVersion").GetInt32());
        }

        var pulled = await app.Api.PullAsync(master, workspaceId, 0, Ct);
        Assert.Equal((0L, 0), (pulled.Head, pulled.SchemaVersion));
        using var real = await PushAsync(workspaceId, master, 1);
        Assert.Equal(HttpStatusCode.Created, real.StatusCode);
        using var newest = await PushAsync(workspaceId, master, SyncEngineApp.MaxSchemaVersion);
        Assert.Equal(HttpStatusCode.Created, newest.StatusCode);
        Assert.Equal((2L, SyncEngineApp.MaxSchemaVersion), ((await app.Api.PullAsync(guest, workspaceId, 0, Ct)) is var after ? after.Head : 0, after.SchemaVersion));
    }
}
