using Microsoft.Extensions.Configuration;
using Services.Workspace.Apps;
using SyncEngine.Contracts.Apps;
using Xunit;

namespace Services.Workspace.Tests;

public sealed class RegisterAppTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 2, 9, 0, 0, TimeSpan.Zero);
    private static readonly AppSettings Meals = new("meals", "Meal journal", "open", null, null, [], 1, new AppQuotas(), false);

    [Fact]
    public void a_free_slug_starts_the_apps_stream_with_its_settings()
    {
        var start = Assert.IsType<RegisterDecision.Start>(RegisterApp.Decide(null, Meals, Now));

        Assert.Equal(new AppRegistered(Meals, Now), start.Registered);
        var app = App.Create(start.Registered);
        Assert.Equal(App.StreamId("meals"), app.Id);
        Assert.Equal(Meals, app.Settings);
    }

    [Fact]
    public void a_registered_slug_exists_whatever_the_new_settings()
    {
        var existing = App.Create(new AppRegistered(Meals, Now.AddDays(-1)));

        Assert.IsType<RegisterDecision.Exists>(RegisterApp.Decide(existing, Meals with { Name = "Other" }, Now));
    }

    [Fact]
    public void the_stream_id_follows_from_the_slug_alone()
    {
        Assert.Equal(App.StreamId("meals"), App.StreamId("meals"));
        Assert.NotEqual(App.StreamId("meals"), App.StreamId("meals-2"));
        Assert.NotEqual(Guid.Empty, App.StreamId("default"));
    }

    [Fact]
    public void the_default_app_is_open_without_quotas()
    {
        var settings = RegisterConfiguredAppHandler.Settings("default");

        Assert.Equal("default", settings.AppId);
        Assert.Equal(AppSettings.OpenPolicy, settings.ClaimPolicy);
        Assert.Equal(new AppQuotas(), settings.Quotas);
        Assert.False(settings.Suspended);
    }

    [Fact]
    public void the_configuration_names_the_default_app_first_then_each_registered_one()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Apps:Default"] = "default",
            ["Apps:CreateDefault"] = "true",
            ["Apps:DefaultMaxSchemaVersion"] = "3",
            ["Apps:Register:tasks:Name"] = "Task lists",
            ["Apps:Register:tasks:MaxSchemaVersion"] = "2",
            ["Apps:Register:notes:Name"] = "Notes",
        }).Build();

        Assert.Equal(
            [new RegisterConfiguredApp("default", 3), new RegisterConfiguredApp("notes", 1, "Notes"), new RegisterConfiguredApp("tasks", 2, "Task lists")],
            ConfiguredApps.Configured(configuration));
        Assert.Empty(ConfiguredApps.Configured(new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["Apps:Default"] = "default" }).Build()));
    }
}
