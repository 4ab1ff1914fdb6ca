using System.Text.Json.Nodes;
using Services.Workspace.Apps;
using SyncEngine.Contracts.Apps;
using Xunit;

namespace Services.Workspace.Tests;

public sealed class AppSettingsValidationTests
{
    private static (AppSettings? Settings, string? Detail) Read(string json)
    {
        var (settings, problem) = AppSettingsJson.Read(JsonNode.Parse(json)!.AsObject());
        Assert.True(settings is null != (problem is null), "exactly one of settings and problem");
        if (problem is not null)
        {
            Assert.Equal(400, problem.Status);
            Assert.Equal("invalid-request", problem.Extensions["code"]);
        }

        return (settings, problem?.Detail);
    }

    [Fact]
    public void the_smallest_registration_gets_the_defaults()
    {
        var (settings, _) = Read("""{"appId": "meals", "name": "Meal journal"}""");

        Assert.Equal(new AppSettings("meals", "Meal journal", "open", null, null, settings!.AllowedOrigins, 1, new AppQuotas(), false), settings);
        Assert.Empty(settings.AllowedOrigins);
    }

    [Fact]
    public void every_setting_is_read()
    {
        var (settings, _) = Read("""
            {"appId": "tasks-2", "name": "Tasks", "claimPolicy": "app-token", "issuer": "https://id.example.com/realms/x",
             "audience": "tasks", "allowedOrigins": ["https://Tasks.Example.com", "http://localhost:5173"], "maxSchemaVersion": 4,
             "quotas": {"maxWorkspaces": 10, "maxWorkspaceBytes": 1000, "maxAppBytes": 5000, "maxChangeBytes": 100,
                        "maxLiveStreamsPerClient": 2, "claimsPerMinutePerAddress": 3},
             "suspended": true}
            """);

        Assert.NotNull(settings);
        Assert.Equal("app-token", settings.ClaimPolicy);
        Assert.Equal("https://id.example.com/realms/x", settings.Issuer);
        Assert.Equal(["https://tasks.example.com", "http://localhost:5173"], settings.AllowedOrigins);
        Assert.Equal(4, settings.MaxSchemaVersion);
        Assert.Equal(new AppQuotas(10, 1000, 5000, 100, 2, 3), settings.Quotas);
        Assert.True(settings.Suspended);
    }

    [Theory]
    [InlineData("""{"name": "x"}""", "appId")]
    [InlineData("""{"appId": "ab", "name": "x"}""", "appId")]
    [InlineData("""{"appId": "Meals", "name": "x"}""", "appId")]
    [InlineData("""{"appId": "meals_1", "name": "x"}""", "appId")]
    [InlineData("""{"appId": "../etc", "name": "x"}""", "appId")]
    [InlineData("""{"appId": "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "name": "x"}""", "appId")]
    [InlineData("""{"appId": 12345, "name": "x"}""", "appId")]
    [InlineData("""{"appId": "meals"}""", "name")]
    [InlineData("""{"appId": "meals", "name": "  "}""", "name")]
    [InlineData("""{"appId": "meals", "name": "x", "claimPolicy": "closed"}""", "claimPolicy")]
    [InlineData("""{"appId": "meals", "name": "x", "issuer": "not a url"}""", "issuer")]
    [InlineData("""{"appId": "meals", "name": "x", "issuer": "/relative"}""", "issuer")]
    [InlineData("""{"appId": "meals", "name": "x", "issuer": "ftp://id.example.com"}""", "issuer")]
    [InlineData("""{"appId": "meals", "name": "x", "issuer": "http://id.example.com"}""", "loopback")]
    [InlineData("""{"appId": "meals", "name": "x", "issuer": "https://user:pw@id.example.com"}""", "issuer")]
    [InlineData("""{"appId": "meals", "name": "x", "claimPolicy": "app-token"}""", "issuer and audience")]
    [InlineData("""{"appId": "meals", "name": "x", "claimPolicy": "app-token", "issuer": "https://id.example.com"}""", "issuer and audience")]
    [InlineData("""{"appId": "meals", "name": "x", "claimPolicy": "app-token", "audience": "meals"}""", "issuer and audience")]
    [InlineData("""{"appId": "meals", "name": "x", "allowedOrigins": "https://a.example.com"}""", "allowedOrigins")]
    [InlineData("""{"appId": "meals", "name": "x", "allowedOrigins": ["https://a.example.com/app"]}""", "allowedOrigins[0]")]
    [InlineData("""{"appId": "meals", "name": "x", "allowedOrigins": ["https://a.example.com/"]}""", "allowedOrigins[0]")]
    [InlineData("""{"appId": "meals", "name": "x", "allowedOrigins": ["https://a.example.com", "a.example.com"]}""", "allowedOrigins[1]")]
    [InlineData("""{"appId": "meals", "name": "x", "allowedOrigins": ["https://a.example.com?x=1"]}""", "allowedOrigins[0]")]
    [InlineData("""{"appId": "meals", "name": "x", "allowedOrigins": ["javascript://a.example.com"]}""", "allowedOrigins[0]")]
    [InlineData("""{"appId": "meals", "name": "x", "allowedOrigins": [null]}""", "allowedOrigins[0]")]
    [InlineData("""{"appId": "meals", "name": "x", "maxSchemaVersion": 0}""", "maxSchemaVersion")]
    [InlineData("""{"appId": "meals", "name": "x", "maxSchemaVersion": 1.5}""", "maxSchemaVersion")]
    [InlineData("""{"appId": "meals", "name": "x", "maxSchemaVersion": "2"}""", "maxSchemaVersion")]
    [InlineData("""{"appId": "meals", "name": "x", "quotas": {"maxWorkspaces": 0}}""", "quotas.maxWorkspaces")]
    [InlineData("""{"appId": "meals", "name": "x", "quotas": {"maxWorkspaceBytes": -1}}""", "quotas.maxWorkspaceBytes")]
    [InlineData("""{"appId": "meals", "name": "x", "quotas": {"maxAppBytes": 2.5}}""", "quotas.maxAppBytes")]
    [InlineData("""{"appId": "meals", "name": "x", "quotas": {"maxLiveStreamsPerClient": 3000000000}}""", "quotas.maxLiveStreamsPerClient")]
    [InlineData("""{"appId": "meals", "name": "x", "quotas": {"maxWorkspace": 10}}""", "quotas.maxWorkspace")]
    [InlineData("""{"appId": "meals", "name": "x", "quotas": [1]}""", "quotas")]
    [InlineData("""{"appId": "meals", "name": "x", "suspended": "yes"}""", "suspended")]
    [InlineData("""{"appId": "meals", "name": "x", "maxWorkspaces": 10}""", "maxWorkspaces")]
    public void bad_settings_are_refused_naming_the_member(string json, string named)
    {
        var (settings, detail) = Read(json);

        Assert.Null(settings);
        Assert.Contains(named, detail);
    }

    [Theory]
    [InlineData("http://localhost:8080/realm")]
    [InlineData("http://127.0.0.1:5000")]
    [InlineData("http://[::1]:5000")]
    [InlineData("https://id.example.com")]
    public void an_issuer_is_https_or_http_on_a_loopback_host(string issuer) =>
        Assert.Null(AppSettingsJson.IssuerProblem(issuer));

    [Fact]
    public void quotas_may_be_null_one_by_one_and_origins_are_kept_once_as_browsers_send_them()
    {
        var (settings, _) = Read("""
            {"appId": "meals", "name": "x", "quotas": {"maxWorkspaces": null, "maxChangeBytes": 7},
             "allowedOrigins": ["https://a.example.com:443", "HTTPS://A.example.com", "http://a.example.com:8080"]}
            """);

        Assert.Equal(new AppQuotas(MaxChangeBytes: 7), settings!.Quotas);
        Assert.Equal(["https://a.example.com", "http://a.example.com:8080"], settings.AllowedOrigins);
    }
}
