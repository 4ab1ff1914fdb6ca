using System.Net;
using System.Text.Json.Nodes;
using SyncEngine.Client;
using SyncEngine.Testing;
using Xunit;

namespace SyncEngine.EndToEnd.Tests;

/// <summary>
/// CORS per app through the real gateway: a browser on an app's allowed origin may call the API with that app's tokens;
/// any other origin, another app's token, and the admin API are refused; a change of allowedOrigins is in force within
/// the gateway's refresh (1 s).
/// </summary>
[Collection(SyncEngineCollection.Name)]
public sealed class AppCorsTests(SyncEngineApp app)
{
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(10);
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private Task<HttpResponseMessage> PreflightAsync(string path, string origin) =>
        app.Gateway.SendAsync(HttpMethod.Options, path, null, Ct, null,
            ("Origin", origin), ("Access-Control-Request-Method", "POST"), ("Access-Control-Request-Headers", "authorization, idempotency-key"));

    [Fact]
    public async Task an_apps_origin_reaches_the_api_with_its_own_tokens_only_and_loses_it_when_removed()
    {
        var appId = $"cors-{Guid.NewGuid():N}"[..16];
        var origin = $"http://{appId}.localhost:5173";
        var admin = await app.OperatorTokenAsync(Ct);
        await app.Api.RegisterAppAsync(admin, new AppSettings(appId, "Tasks", AllowedOrigins: [origin]), Ct);
        var (workspaceId, _, master) = await app.NewWorkspaceInAppAsync(appId, Ct);
        var changes = $"/api/workspaces/{workspaceId}/changes";

        // The preflight passes once the gateway has read the app's origins (it asks Workspace every second).
        var preflight = await Eventually.Until(_ => PreflightAsync(changes, origin), r => r.StatusCode == HttpStatusCode.NoContent, Settle, Ct);
        Assert.Equal(origin, preflight.Headers.GetValues("Access-Control-Allow-Origin").Single());
        Assert.Contains("Idempotency-Key", preflight.Headers.GetValues("Access-Control-Allow-Headers").Single());
        preflight.Dispose();

        // The app's own token from its origin: stored, and the answer readable there.
        using (var push = await app.Gateway.SendAsync(HttpMethod.Post, changes, master, Ct, new ByteArrayContent([1, 2, 3]),
            ("Origin", origin), ("Idempotency-Key", Guid.NewGuid().ToString()), ("Sync-Schema-Version", "1")))
        {
            Assert.Equal(HttpStatusCode.Created, push.StatusCode);
            Assert.Equal(origin, push.Headers.GetValues("Access-Control-Allow-Origin").Single());
            Assert.Contains("Location", push.Headers.GetValues("Access-Control-Expose-Headers").Single());
        }

        // Another app's token from this origin: refused, nothing stored.
        var (other, _, otherMaster) = await app.NewWorkspaceAsync(Ct);
        using (var foreign = await app.Gateway.SendAsync(HttpMethod.Post, $"/api/workspaces/{other}/changes", otherMaster, Ct,
            new ByteArrayContent([4]), ("Origin", origin), ("Idempotency-Key", Guid.NewGuid().ToString()), ("Sync-Schema-Version", "1")))
        {
            await Problems.AssertProblem(foreign, HttpStatusCode.Forbidden, "forbidden");
        }

        Assert.Equal(0, (await app.Api.PullAsync(otherMaster, other, 0, Ct)).Head);

        // An origin no app lists, and the admin API from the app's origin: refused.
        using (var unlisted = await PreflightAsync(changes, "http://elsewhere.localhost:5173"))
        {
            await Problems.AssertProblem(unlisted, HttpStatusCode.Forbidden, "forbidden");
        }

        using (var adminFromBrowser = await app.Gateway.SendAsync(HttpMethod.Get, "/admin/apps", admin, Ct, null, ("Origin", origin)))
        {
            await Problems.AssertProblem(adminFromBrowser, HttpStatusCode.Forbidden, "forbidden");
        }

        // The same calls without an Origin (devices, the CLI) and from the gateway's own origin are not cross-origin.
        using (var own = await app.Gateway.SendAsync(HttpMethod.Get, $"/api/workspaces/{other}/changes?after=0", otherMaster, Ct, null,
            ("Origin", app.Gateway.BaseAddress!.GetLeftPart(UriPartial.Authority))))
        {
            Assert.True(own.IsSuccessStatusCode, own.StatusCode.ToString());
            Assert.False(own.Headers.Contains("Access-Control-Allow-Origin"));
        }

        // Removing the origin takes it away.
        await app.Api.ChangeAppAsync(admin, appId, JsonNode.Parse("""{"allowedOrigins": []}""")!.AsObject(), Ct);
        using var removed = await Eventually.Until(_ => PreflightAsync(changes, origin), r => r.StatusCode == HttpStatusCode.Forbidden, Settle, Ct);
        await Problems.AssertProblem(removed, HttpStatusCode.Forbidden, "forbidden");
    }
}
