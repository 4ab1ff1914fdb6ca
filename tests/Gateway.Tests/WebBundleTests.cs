using System.Net;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Xunit;

namespace Gateway.Tests;

/// <summary>
/// The gateway serving a built web bundle (<c>Gateway:WebRoot</c>), as in production: the gateway's own Program in
/// process, a bundle of a few files in a temporary folder, the services at an address where nothing listens.
/// </summary>
public sealed class WebBundleTests : IDisposable
{
    private const string Index = "<!doctype html><title>journal</title>";
    private const string Asset = "console.log('built')";
    private readonly string _root = Directory.CreateTempSubdirectory("syncengine-webroot-").FullName;

    public WebBundleTests()
    {
        File.WriteAllText(Path.Combine(_root, "index.html"), Index);
        Directory.CreateDirectory(Path.Combine(_root, "assets"));
        File.WriteAllText(Path.Combine(_root, "assets", "index-CyDe_ltW.js"), Asset);
        File.WriteAllBytes(Path.Combine(_root, "assets", "loro_wasm_bg-XW642dR7.wasm"), [0, 0x61, 0x73, 0x6d]);
        Directory.CreateDirectory(Path.Combine(_root, "tasks"));
        File.WriteAllText(Path.Combine(_root, "tasks", "index.html"), TasksIndex);
    }

    private const string TasksIndex = "<!doctype html><title>tasks</title>";

    [Theory]
    [InlineData("/tasks")]
    [InlineData("/tasks/")]
    [InlineData("/tasks/l/4f1c2c6e-0d7e-4d43-9a8e-5b1f0e2a7c11")]
    public async Task a_second_apps_pages_get_its_own_index_html(string path)
    {
        using var gateway = new GatewayWithBundle(_root);

        var response = await gateway.CreateClient().GetAsync(path, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(TasksIndex, await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        Assert.Equal("no-cache", response.Headers.CacheControl?.ToString());
    }

    [Theory]
    [InlineData("/")]
    [InlineData("/journals/4f1c2c6e-0d7e-4d43-9a8e-5b1f0e2a7c11")]
    [InlineData("/join")]
    public async Task pages_of_the_app_get_index_html_revalidated_every_time(string path)
    {
        using var gateway = new GatewayWithBundle(_root);

        var response = await gateway.CreateClient().GetAsync(path, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(Index, await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        Assert.Equal("no-cache", response.Headers.CacheControl?.ToString());
    }

    [Theory]
    [InlineData("/assets/index-CyDe_ltW.js", "text/javascript")]
    [InlineData("/assets/loro_wasm_bg-XW642dR7.wasm", "application/wasm")]
    public async Task hashed_assets_are_served_immutable(string path, string mediaType)
    {
        using var gateway = new GatewayWithBundle(_root);

        var response = await gateway.CreateClient().GetAsync(path, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(mediaType, response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("public, max-age=31536000, immutable", response.Headers.CacheControl?.ToString());
    }

    [Fact]
    public async Task a_missing_asset_is_404_not_the_page()
    {
        using var gateway = new GatewayWithBundle(_root);

        var response = await gateway.CreateClient().GetAsync("/assets/index-gone.js", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Theory]
    [InlineData("/api/no-such-route")]
    [InlineData("/admin/nothing")]
    [InlineData("/connect/authorize")]
    public async Task unknown_api_routes_stay_problems_not_the_page(string path)
    {
        using var gateway = new GatewayWithBundle(_root);

        var response = await gateway.CreateClient().GetAsync(path, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Theory]
    [InlineData("/.well-known/jwks.json")]
    [InlineData("/api/workspaces/4f1c2c6e-0d7e-4d43-9a8e-5b1f0e2a7c11/changes?after=0")]
    [InlineData("/api/workspaces/4f1c2c6e-0d7e-4d43-9a8e-5b1f0e2a7c11/members")]
    public async Task the_api_and_well_known_are_still_proxied(string path)
    {
        using var gateway = new GatewayWithBundle(_root);

        var response = await gateway.CreateClient().GetAsync(path, TestContext.Current.CancellationToken);

        // Nothing listens where the services are said to be: YARP's 502/503, proof that the request went to the proxy.
        Assert.True(response.StatusCode is HttpStatusCode.BadGateway or HttpStatusCode.ServiceUnavailable, $"{path}: {response.StatusCode}");
        Assert.NotEqual(Index, await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
    }

    [Fact]
    public void a_web_root_without_index_html_stops_the_gateway_naming_the_setting()
    {
        var empty = Directory.CreateDirectory(Path.Combine(_root, "empty")).FullName;
        using var gateway = new GatewayWithBundle(empty);

        var refused = Assert.ThrowsAny<Exception>(gateway.CreateClient);

        Assert.Contains("Gateway:WebRoot", refused.ToString(), StringComparison.Ordinal);
        Assert.Contains("index.html", refused.ToString(), StringComparison.Ordinal);
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private sealed class GatewayWithBundle(string root) : WebApplicationFactory<Program>
    {
        // Port 9 (discard) on loopback: nothing answers, so a proxied request fails fast instead of waiting on DNS.
        private const string Nowhere = "http://127.0.0.1:9";

        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            builder.UseEnvironment("Production");
            builder.UseSetting(WebBundle.Setting, root);
            foreach (var service in new[] { "auth", "workspace", "sync" })
            {
                builder.UseSetting($"services:{service}:http:0", Nowhere);
            }
        }
    }
}
