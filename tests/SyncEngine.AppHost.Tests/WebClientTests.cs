using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Xunit;

namespace SyncEngine.AppHost.Tests;

/// <summary>Where the web client's production bundle is built when the AppHost serves it (the browser tests do).</summary>
public sealed class WebClientTests : IDisposable
{
    private readonly string _parent = Path.Combine(Path.GetTempPath(), $"syncengine-web-tests-{Guid.NewGuid():N}");

    [Fact]
    public async Task serving_the_production_bundle_builds_it_into_a_folder_of_this_apphosts_own_not_into_dist()
    {
        var web = Builder("--WebClient:Script=serve").AddWebClient("web").Resource;

        var folder = (string)Assert.Contains(WebClient.BundleDirectoryVariable, await EnvironmentOfAsync(web));
        Assert.Equal(Path.Combine(Path.GetTempPath(), "syncengine-web"), Path.GetDirectoryName(folder));
        Assert.StartsWith($"{Own}-", Path.GetFileName(folder), StringComparison.Ordinal);
    }

    [Fact]
    public void two_apphosts_in_one_process_get_folders_of_their_own()
    {
        // The end-to-end tests run the app on PostgreSQL and on RabbitMQ side by side in one test process.
        Assert.NotEqual(WebClient.ServeBundleDirectory(_parent), WebClient.ServeBundleDirectory(_parent));
    }

    [Fact]
    public async Task the_dev_server_builds_nothing_so_it_is_given_no_folder()
    {
        var web = Builder().AddWebClient("web").Resource;

        Assert.DoesNotContain(WebClient.BundleDirectoryVariable, await EnvironmentOfAsync(web));
    }

    [Fact]
    public void the_folders_of_apphosts_that_have_ended_are_removed_and_others_kept()
    {
        var running = $"{Own}-0123456789abcdef0123456789abcdef";
        // Above Linux's highest process id (4194304) and Windows' practical range: no process has it.
        var ended = $"{int.MaxValue}-0123456789abcdef0123456789abcdef";
        foreach (var name in new[] { running, ended, "not-a-process", "12" })
        {
            Directory.CreateDirectory(Path.Combine(_parent, name, "assets"));
        }

        var folder = WebClient.ServeBundleDirectory(_parent);

        Assert.StartsWith(Path.Combine(_parent, $"{Own}-"), folder, StringComparison.Ordinal);
        Assert.False(Directory.Exists(folder)); // the build makes it
        // Compared as sets: how the running process's id sorts among the other names depends on its value.
        Assert.Equal(new[] { "12", running, "not-a-process" }.Order(StringComparer.Ordinal),
            Directory.EnumerateDirectories(_parent).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    private static string Own => Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture);

    public void Dispose()
    {
        if (Directory.Exists(_parent))
        {
            Directory.Delete(_parent, recursive: true);
        }
    }

    private static async Task<Dictionary<string, object>> EnvironmentOfAsync(IResource resource)
    {
        var context = new EnvironmentCallbackContext(new DistributedApplicationExecutionContext(DistributedApplicationOperation.Run));
        foreach (var callback in resource.Annotations.OfType<EnvironmentCallbackAnnotation>())
        {
            await callback.Callback(context);
        }

        return context.EnvironmentVariables;
    }

    private static IDistributedApplicationBuilder Builder(params string[] args) => DistributedApplication.CreateBuilder(new DistributedApplicationOptions
    {
        Args = args,
        DisableDashboard = true,
        AssemblyName = typeof(WebClient).Assembly.GetName().Name,
    });
}
