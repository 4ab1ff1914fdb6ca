using System.Text.Json.Nodes;
using Services.Workspace.Apps;
using SyncEngine.Contracts.Apps;
using Xunit;
using AppSettingsChanged = Services.Workspace.Apps.AppSettingsChanged;

namespace Services.Workspace.Tests;

public sealed class ChangeAppSettingsTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 2, 9, 0, 0, TimeSpan.Zero);

    private static App Registered(AppQuotas? quotas = null, bool suspended = false) => App.Create(new AppRegistered(
        new AppSettings("meals", "Meal journal", "open", null, null, ["https://meals.example.com"], 2,
            quotas ?? new AppQuotas(MaxWorkspaces: 10, MaxChangeBytes: 1000), suspended),
        Now.AddDays(-1)));

    private static ChangeDecision Decide(App? app, string patch) => ChangeAppSettings.Decide(app, JsonNode.Parse(patch)!.AsObject(), Now);

    [Fact]
    public void an_unknown_app_is_not_found() =>
        Assert.IsType<ChangeDecision.NotFound>(Decide(null, """{"name": "x"}"""));

    [Fact]
    public void members_given_replace_the_stored_ones_and_the_rest_stay()
    {
        var changed = Assert.IsType<ChangeDecision.Changed>(Decide(Registered(), """{"name": "Meals", "maxSchemaVersion": 3}"""));

        Assert.Equal("Meals", changed.Settings.Name);
        Assert.Equal(3, changed.Settings.MaxSchemaVersion);
        Assert.Equal(["https://meals.example.com"], changed.Settings.AllowedOrigins);
        Assert.Equal(new AppQuotas(MaxWorkspaces: 10, MaxChangeBytes: 1000), changed.Settings.Quotas);
        var settingsChanged = Assert.IsType<AppSettingsChanged>(Assert.Single(changed.Events));
        Assert.Equal(changed.Settings, settingsChanged.Settings);
        Assert.Equal(Now, settingsChanged.At);
    }

    [Fact]
    public void quotas_merge_member_by_member_and_a_null_quota_returns_to_the_default()
    {
        var changed = Assert.IsType<ChangeDecision.Changed>(
            Decide(Registered(), """{"quotas": {"maxWorkspaces": null, "maxAppBytes": 5000}}"""));

        Assert.Equal(new AppQuotas(MaxAppBytes: 5000, MaxChangeBytes: 1000), changed.Settings.Quotas);
    }

    [Fact]
    public void null_quotas_clears_every_quota()
    {
        var changed = Assert.IsType<ChangeDecision.Changed>(Decide(Registered(), """{"quotas": null}"""));

        Assert.Equal(new AppQuotas(), changed.Settings.Quotas);
    }

    [Fact]
    public void suspending_is_its_own_event_and_resuming_too()
    {
        var suspended = Assert.IsType<ChangeDecision.Changed>(Decide(Registered(), """{"suspended": true}"""));
        Assert.Equal([new AppSuspended(Now)], suspended.Events);
        Assert.True(suspended.Settings.Suspended);

        var app = Registered();
        app.Apply(new AppSuspended(Now));
        var resumed = Assert.IsType<ChangeDecision.Changed>(Decide(app, """{"suspended": false, "name": "Meals"}"""));
        Assert.Equal(2, resumed.Events.Count);
        Assert.IsType<AppSettingsChanged>(resumed.Events[0]);
        Assert.Equal(new AppResumed(Now), resumed.Events[1]);
        Assert.False(resumed.Settings.Suspended);
    }

    [Fact]
    public void a_settings_change_does_not_undo_a_suspension_when_applied()
    {
        var app = Registered(suspended: true);
        var changed = Assert.IsType<ChangeDecision.Changed>(Decide(app, """{"name": "Meals"}"""));

        foreach (var e in changed.Events)
        {
            app.Apply((AppSettingsChanged)e);
        }

        Assert.True(app.Settings.Suspended);
        Assert.Equal("Meals", app.Settings.Name);
    }

    [Theory]
    [InlineData("""{}""")]
    [InlineData("""{"name": "Meal journal", "appId": "meals"}""")]
    [InlineData("""{"allowedOrigins": ["https://meals.example.com"]}""")]
    public void a_patch_that_changes_nothing_records_nothing(string patch)
    {
        var changed = Assert.IsType<ChangeDecision.Changed>(Decide(Registered(), patch));

        Assert.Empty(changed.Events);
    }

    [Theory]
    [InlineData("""{"appId": "other"}""", "appId")]
    [InlineData("""{"appId": null}""", "appId")]
    [InlineData("""{"name": null}""", "name")]
    [InlineData("""{"quotas": {"maxWorkspaces": -5}}""", "quotas.maxWorkspaces")]
    [InlineData("""{"claimPolicy": "app-token"}""", "issuer and audience")]
    [InlineData("""{"issuer": "not a url"}""", "issuer")]
    [InlineData("""{"maxSchemaVersion": 0}""", "maxSchemaVersion")]
    [InlineData("""{"unknown": 1}""", "unknown")]
    public void a_patch_that_breaks_a_rule_is_refused_and_records_nothing(string patch, string named)
    {
        var invalid = Assert.IsType<ChangeDecision.Invalid>(Decide(Registered(), patch));

        Assert.Equal("invalid-request", invalid.Problem.Extensions["code"]);
        Assert.Contains(named, invalid.Problem.Detail);
    }

    [Fact]
    public void app_token_is_accepted_once_issuer_and_audience_come_with_it()
    {
        var changed = Assert.IsType<ChangeDecision.Changed>(Decide(Registered(),
            """{"claimPolicy": "app-token", "issuer": "https://id.example.com", "audience": "meals"}"""));

        Assert.Equal("app-token", changed.Settings.ClaimPolicy);
        Assert.Single(changed.Events);
    }

    [Fact]
    public void merge_patch_follows_rfc_7396()
    {
        // RFC 7396, appendix A, a few of its examples.
        Assert.Equal("""{"a":"c"}""", AppSettingsJson.MergePatch(JsonNode.Parse("""{"a":"b"}"""), JsonNode.Parse("""{"a":"c"}"""))!.ToJsonString());
        Assert.Equal("""{"b":"c"}""", AppSettingsJson.MergePatch(JsonNode.Parse("""{"a":"b","b":"c"}"""), JsonNode.Parse("""{"a":null}"""))!.ToJsonString());
        Assert.Equal("""{"a":{"bb":{}}}""", AppSettingsJson.MergePatch(JsonNode.Parse("""{}"""), JsonNode.Parse("""{"a":{"bb":{"ccc":null}}}"""))!.ToJsonString());
        Assert.Equal("""["c"]""", AppSettingsJson.MergePatch(JsonNode.Parse("""{"a":"foo"}"""), JsonNode.Parse("""["c"]"""))!.ToJsonString());
    }
}
