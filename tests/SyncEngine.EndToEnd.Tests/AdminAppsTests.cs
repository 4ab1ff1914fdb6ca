using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using SyncEngine.Client;
using SyncEngine.Testing;
using Xunit;

namespace SyncEngine.EndToEnd.Tests;

/// <summary>Operators register, list, show and change apps through the gateway, with operator tokens only.</summary>
[Collection(SyncEngineCollection.Name)]
public sealed class AdminAppsTests(SyncEngineApp app)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static string NewAppId() => $"app-{Guid.NewGuid():N}"[..20];

    private static IEnumerable<(string Route, Func<HttpClient, string?, Task<HttpResponseMessage>> Send)> AdminRoutes(string appId) =>
    [
        ("list", (http, token) => http.SendAsync(HttpMethod.Get, "/admin/apps", token, Ct)),
        ("show", (http, token) => http.SendAsync(HttpMethod.Get, $"/admin/apps/{appId}", token, Ct)),
        ("register", (http, token) => http.SendRawJsonAsync(HttpMethod.Post, "/admin/apps", token, $$"""{"appId": "{{NewAppId()}}", "name": "x"}""", Ct)),
        ("patch", (http, token) => http.SendRawJsonAsync(HttpMethod.Patch, $"/admin/apps/{appId}", token, """{"name": "taken over"}""", Ct)),
    ];

    [Fact]
    public async Task the_default_app_is_registered_at_start_open_and_without_quotas()
    {
        var settings = await app.Api.GetAppAsync(await app.OperatorTokenAsync(Ct), SyncEngineApp.DefaultApp, Ct);

        Assert.Equal("open", settings.ClaimPolicy);
        Assert.Equal(new AppQuotas(), settings.Quotas);
        Assert.False(settings.Suspended);
    }

    [Fact]
    public async Task an_operator_registers_lists_shows_and_changes_an_app()
    {
        var token = await app.OperatorTokenAsync(Ct);
        var appId = NewAppId();

        var registered = await app.Api.RegisterAppAsync(token, new AppSettings(appId, "Task lists",
            AllowedOrigins: ["https://tasks.example.com"], Quotas: new AppQuotas(MaxWorkspaces: 100, MaxChangeBytes: 65536)), Ct);
        Assert.Equal(appId, registered.AppId);
        Assert.Equal(1, registered.MaxSchemaVersion);
        Assert.Contains(await app.Api.ListAppsAsync(token, Ct), a => a.AppId == appId);
        Assert.Contains(await app.Api.ListAppsAsync(token, Ct), a => a.AppId == SyncEngineApp.DefaultApp);
        Assert.Equal(registered with { AllowedOrigins = null }, (await app.Api.GetAppAsync(token, appId, Ct)) with { AllowedOrigins = null });

        var changed = await app.Api.ChangeAppAsync(token, appId, JsonNode.Parse("""
            {"maxSchemaVersion": 2, "quotas": {"maxWorkspaces": null, "maxAppBytes": 1000000}, "suspended": true}
            """)!.AsObject(), Ct);
        Assert.Equal(2, changed.MaxSchemaVersion);
        Assert.Equal(new AppQuotas(MaxAppBytes: 1000000, MaxChangeBytes: 65536), changed.Quotas);
        Assert.True(changed.Suspended);
        Assert.Equal(["https://tasks.example.com"], changed.AllowedOrigins);

        var shown = await app.Api.GetAppAsync(token, appId, Ct);
        Assert.Equal(changed with { AllowedOrigins = null }, shown with { AllowedOrigins = null });

        var resumed = await app.Api.ChangeAppAsync(token, appId, JsonNode.Parse("""{"suspended": false}""")!.AsObject(), Ct);
        Assert.False(resumed.Suspended);
        Assert.Equal(2, resumed.MaxSchemaVersion);
    }

    [Fact]
    public async Task registering_a_slug_again_is_app_exists_and_changes_nothing()
    {
        var token = await app.OperatorTokenAsync(Ct);
        var appId = NewAppId();
        await app.Api.RegisterAppAsync(token, new AppSettings(appId, "First"), Ct);

        using var again = await app.Gateway.SendRawJsonAsync(HttpMethod.Post, "/admin/apps", token, $$"""{"appId": "{{appId}}", "name": "Second"}""", Ct);

        await Problems.AssertProblem(again, HttpStatusCode.Conflict, "app-exists");
        Assert.Equal("First", (await app.Api.GetAppAsync(token, appId, Ct)).Name);
    }

    [Theory]
    [InlineData("never-registered")]
    [InlineData("NOT_A_SLUG")]
    public async Task an_unknown_app_is_app_not_found(string appId)
    {
        var token = await app.OperatorTokenAsync(Ct);

        using var show = await app.Gateway.SendAsync(HttpMethod.Get, $"/admin/apps/{appId}", token, Ct);
        await Problems.AssertProblem(show, HttpStatusCode.NotFound, "app-not-found");
        using var patch = await app.Gateway.SendRawJsonAsync(HttpMethod.Patch, $"/admin/apps/{appId}", token, """{"name": "x"}""", Ct);
        await Problems.AssertProblem(patch, HttpStatusCode.NotFound, "app-not-found");
    }

    // "{id}" stands for a fresh app id.
    public static TheoryData<string, string> HostileRegistrations => new()
    {
        { """{"appId": "Bad Slug!", "name": "x"}""", "appId" },
        { """{"appId": "{id}", "name": "x", "quotas": {"maxWorkspaces": -1}}""", "quotas.maxWorkspaces" },
        { """{"appId": "{id}", "name": "x", "quotas": {"maxChangeBytes": 0}}""", "quotas.maxChangeBytes" },
        { """{"appId": "{id}", "name": "x", "issuer": "not a url"}""", "issuer" },
        { """{"appId": "{id}", "name": "x", "issuer": "http://id.example.com"}""", "issuer" },
        { """{"appId": "{id}", "name": "x", "claimPolicy": "app-token"}""", "issuer and audience" },
        { """{"appId": "{id}", "name": "x", "claimPolicy": "invite-only"}""", "claimPolicy" },
        { """{"appId": "{id}", "name": "x", "allowedOrigins": ["https://a.example.com/path"]}""", "allowedOrigins[0]" },
        { """{"appId": "{id}", "name": "x", "maxSchemaVersion": 0}""", "maxSchemaVersion" },
        { """{"appId": "{id}", "name": "x", "admin": true}""", "admin" },
        { """["{id}"]""", "JSON object" },
        { """{"appId": "{id}", "name": "x",""", "JSON" },
    };

    [Theory]
    [MemberData(nameof(HostileRegistrations))]
    public async Task a_hostile_registration_is_refused_naming_the_member_and_nothing_is_stored(string settings, string named)
    {
        var token = await app.OperatorTokenAsync(Ct);
        var appId = NewAppId();

        using var response = await app.Gateway.SendRawJsonAsync(HttpMethod.Post, "/admin/apps", token, settings.Replace("{id}", appId), Ct);

        var problem = await Problems.AssertProblem(response, HttpStatusCode.BadRequest, "invalid-request");
        Assert.Contains(named, problem.GetProperty("detail").GetString());
        var notStored = await Assert.ThrowsAsync<SyncEngineApiException>(() => app.Api.GetAppAsync(token, appId, Ct));
        Assert.Equal("app-not-found", notStored.Code);
    }

    public static TheoryData<string, string> HostilePatches => new()
    {
        { """{"appId": "another-app"}""", "appId" },
        { """{"name": null}""", "name" },
        { """{"quotas": {"maxWorkspaces": -1}}""", "quotas.maxWorkspaces" },
        { """{"quotas": {"maxLiveStreamsPerClient": 1.5}}""", "quotas.maxLiveStreamsPerClient" },
        { """{"issuer": "not a url"}""", "issuer" },
        { """{"claimPolicy": "app-token"}""", "issuer and audience" },
        { """{"allowedOrigins": ["*"]}""", "allowedOrigins[0]" },
        { """{"maxSchemaVersion": -3}""", "maxSchemaVersion" },
        { """{"suspended": "yes"}""", "suspended" },
        { """{"suspended": true, "quotas": {"maxAppBytes": 0}}""", "quotas.maxAppBytes" },
        { """null""", "JSON object" },
    };

    [Theory]
    [MemberData(nameof(HostilePatches))]
    public async Task a_hostile_change_is_refused_naming_the_member_and_the_app_is_unchanged(string patch, string named)
    {
        var token = await app.OperatorTokenAsync(Ct);
        var appId = NewAppId();
        var before = await app.Api.RegisterAppAsync(token, new AppSettings(appId, "Before", Quotas: new AppQuotas(MaxWorkspaces: 5)), Ct);

        using var response = await app.Gateway.SendRawJsonAsync(HttpMethod.Patch, $"/admin/apps/{appId}", token, patch, Ct);

        var problem = await Problems.AssertProblem(response, HttpStatusCode.BadRequest, "invalid-request");
        Assert.Contains(named, problem.GetProperty("detail").GetString());
        var after = await app.Api.GetAppAsync(token, appId, Ct);
        Assert.Equal(before with { AllowedOrigins = null }, after with { AllowedOrigins = null });
        Assert.Empty(after.AllowedOrigins!);
    }

    [Fact]
    public async Task admin_routes_without_a_token_are_401()
    {
        foreach (var (route, send) in AdminRoutes(SyncEngineApp.DefaultApp))
        {
            using var response = await send(app.Gateway, null);
            await Problems.AssertProblem(response, HttpStatusCode.Unauthorized, "unauthorized");
        }
    }

    [Fact]
    public async Task a_workspace_token_is_401_on_admin_routes_even_right_after_it_was_accepted_on_its_own()
    {
        var (workspaceId, _, master) = await app.NewWorkspaceAsync(Ct);
        // Accepted (and remembered as valid by the workspace scheme's cache) first.
        await app.Api.GetWorkspaceAsync(master, workspaceId, Ct);

        foreach (var (route, send) in AdminRoutes(SyncEngineApp.DefaultApp))
        {
            using var response = await send(app.Gateway, master);
            await Problems.AssertProblem(response, HttpStatusCode.Unauthorized, "unauthorized");
        }

        Assert.Equal("Default app", (await app.Api.GetAppAsync(await app.OperatorTokenAsync(Ct), SyncEngineApp.DefaultApp, Ct)).Name);
    }

    [Fact]
    public async Task an_operator_token_is_401_on_workspace_routes_even_right_after_it_was_accepted_on_its_own()
    {
        var (workspaceId, _, master) = await app.NewWorkspaceAsync(Ct);
        await app.Api.PushAsync(master, workspaceId, [1, 2, 3], Guid.NewGuid(), 1, Ct);
        var token = await app.OperatorTokenAsync(Ct);
        await app.Api.ListAppsAsync(token, Ct);

        foreach (var path in new[] { $"/api/workspaces/{workspaceId}", $"/api/workspaces/{workspaceId}/history",
                     $"/api/workspaces/{workspaceId}/tokens", $"/api/workspaces/{workspaceId}/changes?after=0" })
        {
            using var response = await app.Gateway.SendAsync(HttpMethod.Get, path, token, Ct);
            await Problems.AssertProblem(response, HttpStatusCode.Unauthorized, "unauthorized");
        }

        using var push = await app.Gateway.SendAsync(HttpMethod.Post, $"/api/workspaces/{workspaceId}/changes", token, Ct,
            new ByteArrayContent([9]), ("Idempotency-Key", Guid.NewGuid().ToString()), ("Sync-Schema-Version", "1"));
        await Problems.AssertProblem(push, HttpStatusCode.Unauthorized, "unauthorized");
        Assert.Equal(1, (await app.Api.PullAsync(master, workspaceId, 0, Ct)).Head);
    }

    [Theory]
    [InlineData("expired")]
    [InlineData("alg none")]
    [InlineData("signed by another key")]
    [InlineData("tampered payload")]
    [InlineData("workspace audience")]
    [InlineData("without the admin scope")]
    public async Task an_expired_or_forged_operator_token_is_401_on_admin_routes_and_changes_nothing(string kind)
    {
        var real = await app.OperatorTokenAsync(Ct);
        var kid = Jwt.KeyId(real);
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        object Claims(long iat, long exp, string aud = "syncengine-admin", string? scope = "syncengine.admin") => scope is null
            ? new { sub = "operator", aud, iss = "syncengine", jti = Guid.NewGuid().ToString(), iat, exp }
            : new { sub = "operator", aud, iss = "syncengine", scope, jti = Guid.NewGuid().ToString(), iat, exp };
        var claims = Jwt.ToBase64Url(JsonSerializer.SerializeToUtf8Bytes(Claims(now, now + 300)));
        var token = kind switch
        {
            // Auth's own key, so only its exp (beyond the 5 s clock skew) refuses it.
            "expired" => await AuthSigningKey.SignAsync(app, kid, Claims(now - 600, now - 300), Ct),
            "alg none" => ForgedTokens.AlgNone(claims, kid),
            "signed by another key" => ForgedTokens.Es256WithForeignKey(claims, kid),
            "tampered payload" => ForgedTokens.WithClaims(real, c => c["sub"] = "someone-else"),
            "workspace audience" => await AuthSigningKey.SignAsync(app, kid, Claims(now, now + 300, aud: "syncengine-api"), Ct),
            "without the admin scope" => await AuthSigningKey.SignAsync(app, kid, Claims(now, now + 300, scope: null), Ct),
            _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
        };

        foreach (var (route, send) in AdminRoutes(SyncEngineApp.DefaultApp))
        {
            using var response = await send(app.Gateway, token);
            if (kind == "without the admin scope")
            {
                // Signed by Auth for the admin audience, yet not granted the admin scope.
                await Problems.AssertProblem(response, HttpStatusCode.Forbidden, "forbidden");
            }
            else
            {
                await Problems.AssertProblem(response, HttpStatusCode.Unauthorized, "unauthorized");
            }
        }

        Assert.Equal("Default app", (await app.Api.GetAppAsync(real, SyncEngineApp.DefaultApp, Ct)).Name);
    }
}
