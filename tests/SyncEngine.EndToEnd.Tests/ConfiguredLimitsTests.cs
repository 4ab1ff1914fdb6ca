using System.Net;
using System.Net.Http.Headers;
using SyncEngine.Testing;
using Xunit;

namespace SyncEngine.EndToEnd.Tests;

/// <summary>
/// Sync's size limits come from configuration: the test app sets Sync:MaxChangeBytes to 2 MiB and Sync:MaxSnapshotBytes
/// to 3 MiB (SyncEngineApp), below the 4 and 16 MiB defaults, so a body between the two is the proof.
/// </summary>
[Collection(SyncEngineCollection.Name)]
public sealed class ConfiguredLimitsTests(SyncEngineApp app)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task<HttpResponseMessage> SendAsync(Guid workspaceId, string token, string route, HttpContent body, bool chunked = false, int covers = 1)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/workspaces/{workspaceId}/{route}") { Content = body };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        request.Headers.TryAddWithoutValidation("Idempotency-Key", Guid.NewGuid().ToString());
        request.Headers.TryAddWithoutValidation("Sync-Schema-Version", "1");
        request.Headers.TryAddWithoutValidation("Sync-Covers", covers.ToString());
        request.Headers.TransferEncodingChunked = chunked;
        return await app.Gateway.SendAsync(request, Ct);
    }

    [Fact]
    public async Task a_change_over_the_configured_limit_is_refused_and_one_at_the_limit_is_stored()
    {
        var (workspaceId, _, master) = await app.NewWorkspaceAsync(Ct);

        // Under the 4 MiB default, over the configured 2 MiB: refused whether declared or streamed.
        using var declared = await SendAsync(workspaceId, master, "changes", new ByteArrayContent(new byte[SyncEngineApp.MaxChangeBytes + 1]));
        using var streamed = await SendAsync(workspaceId, master, "changes",
            new StreamContent(new MemoryStream(new byte[SyncEngineApp.MaxChangeBytes + 1])), chunked: true);
        var problem = await Problems.AssertProblem(declared, HttpStatusCode.RequestEntityTooLarge, "payload-too-large");
        Assert.Contains(SyncEngineApp.MaxChangeBytes.ToString(), problem.GetProperty("detail").GetString());
        await Problems.AssertProblem(streamed, HttpStatusCode.RequestEntityTooLarge, "payload-too-large");
        Assert.Equal(0, (await app.Api.PullAsync(master, workspaceId, 0, Ct)).Head);

        var atLimit = Enumerable.Range(0, SyncEngineApp.MaxChangeBytes).Select(i => (byte)(i % 253)).ToArray();
        Assert.Equal(1, await app.Api.PushAsync(master, workspaceId, atLimit, Guid.NewGuid(), 1, Ct));
        Assert.Equal(atLimit, Assert.Single((await app.Api.PullAsync(master, workspaceId, 0, Ct)).Frames).Data);
    }

    [Fact]
    public async Task a_snapshot_over_the_configured_limit_is_too_large_an_empty_one_is_invalid_and_neither_is_stored()
    {
        var (workspaceId, _, master) = await app.NewWorkspaceAsync(Ct);
        // 4 MiB of changes: more than any of the refused snapshots, so a stored one would be served to a fresh pull.
        var changes = Enumerable.Range(1, 2).Select(seed => Enumerable.Range(0, SyncEngineApp.MaxChangeBytes).Select(i => (byte)((i + seed) % 249)).ToArray()).ToList();
        foreach (var change in changes)
        {
            await app.Api.PushAsync(master, workspaceId, change, Guid.NewGuid(), 1, Ct);
        }

        using var declared = await SendAsync(workspaceId, master, "snapshots", new ByteArrayContent(new byte[SyncEngineApp.MaxSnapshotBytes + 1]), covers: 2);
        using var streamed = await SendAsync(workspaceId, master, "snapshots",
            new StreamContent(new MemoryStream(new byte[SyncEngineApp.MaxSnapshotBytes + 1])), chunked: true, covers: 2);
        using var empty = await SendAsync(workspaceId, master, "snapshots", new ByteArrayContent([]), covers: 2);

        var problem = await Problems.AssertProblem(declared, HttpStatusCode.RequestEntityTooLarge, "payload-too-large");
        Assert.Contains(SyncEngineApp.MaxSnapshotBytes.ToString(), problem.GetProperty("detail").GetString());
        await Problems.AssertProblem(streamed, HttpStatusCode.RequestEntityTooLarge, "payload-too-large");
        await Problems.AssertProblem(empty, HttpStatusCode.BadRequest, "invalid-request");
        var pulled = await app.Api.PullAsync(master, workspaceId, 0, Ct);
        Assert.Equal(changes, pulled.Frames.Select(f => f.Data));

        var atLimit = new byte[SyncEngineApp.MaxSnapshotBytes];
        using var stored = await SendAsync(workspaceId, master, "snapshots", new ByteArrayContent(atLimit), covers: 2);
        Assert.Equal(HttpStatusCode.Created, stored.StatusCode);
        var snapshot = Assert.Single((await app.Api.PullAsync(master, workspaceId, 0, Ct)).Frames);
        Assert.True(snapshot.IsSnapshot);
        Assert.Equal(atLimit, snapshot.Data);
    }
}
