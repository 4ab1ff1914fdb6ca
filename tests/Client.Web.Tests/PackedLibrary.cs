using Xunit;

namespace SyncEngine.ClientWeb.Tests;

/// <summary>
/// The web library as another app adopts it: `npm pack` of @syncengine/sync, installed from the tarball into a new app
/// outside the repository, which imports it and its React bindings, type-checks and builds (PackedLibrary/check.mjs).
/// </summary>
public sealed class PackedLibrary
{
    [Fact]
    public async Task the_packed_library_installs_into_a_new_app_that_type_checks_and_builds()
    {
        var clientWeb = Path.Combine(SyncEngine.Testing.Repository.Root, "src", "Client.Web");
        var script = Path.Combine(SyncEngine.Testing.Repository.Root, "tests", "Client.Web.Tests", "PackedLibrary", "check.mjs");
        Assert.True(Directory.Exists(Path.Combine(clientWeb, "node_modules")), "src/Client.Web/node_modules is missing: run `npm ci` there first (.ci/run does).");
        await Node.RunAsync(clientWeb, script, clientWeb);
    }
}
