using System.Collections.Frozen;
using Gateway;
using Microsoft.AspNetCore.Http;
using Xunit;

namespace Gateway.Tests;

/// <summary>Which cross-origin requests the gateway answers (AppCors.Decide): an app's allowedOrigins, per token.</summary>
public sealed class AppCorsTests
{
    private const string Host = "sync.example.com";
    private const string TaskOrigin = "https://tasks.example.com";
    private static readonly FrozenSet<string> TasksOnly = new[] { "tasks" }.ToFrozenSet();

    private static AppCors.Decision Decide(string? origin, string path = "/api/workspaces/1/changes", bool preflight = false,
        FrozenSet<string>? allowing = null, string? tokenApp = null) =>
        AppCors.Decide(origin, Host, new PathString(path), preflight, allowing, tokenApp);

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("https://sync.example.com")]
    [InlineData("http://SYNC.example.com")]
    public void a_request_without_an_origin_or_from_the_gateways_own_is_not_cross_origin(string? origin) =>
        Assert.IsType<AppCors.Decision.NotCrossOrigin>(Decide(origin, allowing: null));

    [Fact]
    public void an_origin_no_app_lists_is_refused_even_its_preflight()
    {
        Assert.IsType<AppCors.Decision.Refuse>(Decide("https://evil.example", preflight: true));
        Assert.IsType<AppCors.Decision.Refuse>(Decide("https://evil.example"));
        Assert.IsType<AppCors.Decision.Refuse>(Decide("null"));
    }

    [Fact]
    public void a_listed_origins_preflight_passes_without_a_token()
    {
        Assert.Equal(new AppCors.Decision.Preflight(TaskOrigin), Decide(TaskOrigin, preflight: true, allowing: TasksOnly));
    }

    [Fact]
    public void a_request_passes_when_its_tokens_app_lists_the_origin_and_is_refused_with_another_apps_token()
    {
        Assert.Equal(new AppCors.Decision.Allow(TaskOrigin), Decide(TaskOrigin, allowing: TasksOnly, tokenApp: "tasks"));
        var refused = Assert.IsType<AppCors.Decision.Refuse>(Decide(TaskOrigin, allowing: TasksOnly, tokenApp: "journal"));
        Assert.Contains("journal", refused.Detail);
        // A claim or a join carries no token yet: the origin's listing is what there is to check.
        Assert.Equal(new AppCors.Decision.Allow(TaskOrigin), Decide(TaskOrigin, "/api/workspaces", allowing: TasksOnly));
    }

    [Theory]
    [InlineData("/admin/apps")]
    [InlineData("/connect/token")]
    public void the_admin_api_never_answers_another_origin(string path) =>
        Assert.IsType<AppCors.Decision.Refuse>(Decide(TaskOrigin, path, allowing: TasksOnly));

    [Fact]
    public void the_web_client_outside_the_api_is_left_alone() =>
        Assert.IsType<AppCors.Decision.NotCrossOrigin>(Decide("https://evil.example", "/assets/index.js"));

    [Fact]
    public void origins_compare_as_browsers_send_them()
    {
        var origins = new AppOrigins();
        origins.Replace([("tasks", ["https://Tasks.Example.com/"]), ("notes", ["https://tasks.example.com", "http://localhost:5173"])]);

        Assert.Equal(["notes", "tasks"], origins.AppsAllowing(AppOrigins.Normalize(TaskOrigin))!.Order());
        Assert.Equal(["notes"], origins.AppsAllowing("http://localhost:5173")!);
        Assert.Null(origins.AppsAllowing("http://localhost:5174"));
    }
}
