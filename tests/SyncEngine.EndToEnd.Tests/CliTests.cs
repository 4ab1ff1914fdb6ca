using System.Diagnostics;
using System.Text.Json;
using SyncEngine.Testing;
using Xunit;

namespace SyncEngine.EndToEnd.Tests;

/// <summary>
/// The real <c>syncengine</c> CLI (src/SyncEngine.Cli), run as its own process against the running app through the
/// gateway, with its credentials from the environment as an operator's script would set them.
/// </summary>
// On the RabbitMQ app, although it does not depend on the transport: see RabbitMqCollection.
[Collection(RabbitMqCollection.Name)]
public sealed class CliTests(RabbitMqApp app)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private sealed record Outcome(int ExitCode, string Output, string Error)
    {
        public JsonElement Json => JsonDocument.Parse(Output).RootElement;
    }

    [Fact]
    public async Task an_operator_registers_changes_suspends_resumes_and_lists_an_app()
    {
        var appId = NewAppId();

        var created = await CliAsync("apps", "create", appId, "--name", "CLI test", "--quota", "maxWorkspaces=5", "--max-schema-version", "2", "--json");
        Assert.True(created.ExitCode == 0, created.Error);
        Assert.Equal(appId, created.Json.GetProperty("appId").GetString());
        Assert.Equal(5, created.Json.GetProperty("quotas").GetProperty("maxWorkspaces").GetInt64());

        var changed = await CliAsync("apps", "set", appId, "--max-schema-version", "3", "--quota", "maxWorkspaces=default",
            "--quota", "maxAppBytes=1000000", "--origin", "https://cli.example", "--json");
        Assert.True(changed.ExitCode == 0, changed.Error);
        var stored = await app.Api.GetAppAsync(await app.OperatorTokenAsync(Ct), appId, Ct);
        Assert.Equal(3, stored.MaxSchemaVersion);
        Assert.Null(stored.Quotas?.MaxWorkspaces);
        Assert.Equal(1_000_000, stored.Quotas?.MaxAppBytes);
        Assert.Equal(["https://cli.example"], stored.AllowedOrigins);
        Assert.Equal("CLI test", stored.Name);

        var suspended = await CliAsync("apps", "suspend", appId);
        Assert.True(suspended.ExitCode == 0, suspended.Error);
        Assert.Matches(@"state:\s+suspended", suspended.Output);
        var listed = await CliAsync("apps", "list");
        Assert.True(listed.ExitCode == 0, listed.Error);
        Assert.StartsWith("APP", listed.Output, StringComparison.Ordinal);
        Assert.Matches($@"(?m)^{appId}\s+CLI test\s+open\s+3\s+suspended\s+maxAppBytes=1000000$", listed.Output);

        var usage = await CliAsync("usage", appId, "--json");
        Assert.True(usage.ExitCode == 0, usage.Error);
        Assert.Equal(0, usage.Json.GetProperty("workspaces").GetInt64());
        Assert.Matches(@"live streams:\s+0", (await CliAsync("usage", appId)).Output);

        var resumed = await CliAsync("apps", "resume", appId, "--json");
        Assert.True(resumed.ExitCode == 0, resumed.Error);
        Assert.False(resumed.Json.GetProperty("suspended").GetBoolean());
        Assert.False((await app.Api.GetAppAsync(await app.OperatorTokenAsync(Ct), appId, Ct)).Suspended);
    }

    [Fact]
    public async Task refusals_exit_non_zero_with_the_problems_code_and_detail_and_change_nothing()
    {
        var appId = NewAppId();
        Assert.Equal(0, (await CliAsync("apps", "create", appId)).ExitCode);

        var unknown = await CliAsync("apps", "show", NewAppId());
        Assert.Equal(1, unknown.ExitCode);
        Assert.Contains("404 app-not-found", unknown.Error, StringComparison.Ordinal);

        var twice = await CliAsync("apps", "create", appId);
        Assert.Equal(1, twice.ExitCode);
        Assert.Contains("409 app-exists", twice.Error, StringComparison.Ordinal);

        var invalid = await CliAsync("apps", "set", appId, "--claim-policy", "app-token");
        Assert.Equal(1, invalid.ExitCode);
        Assert.Contains("400 invalid-request", invalid.Error, StringComparison.Ordinal);

        var unknownQuota = await CliAsync("apps", "set", appId, "--quota", "maxFoo=1");
        Assert.Equal(1, unknownQuota.ExitCode);
        Assert.Contains("unknown quota 'maxFoo'", unknownQuota.Error, StringComparison.Ordinal);

        var stored = await app.Api.GetAppAsync(await app.OperatorTokenAsync(Ct), appId, Ct);
        Assert.Equal("open", stored.ClaimPolicy);
        Assert.Null(stored.Quotas?.MaxWorkspaces);
    }

    [Fact]
    public async Task wrong_or_missing_credentials_and_an_unreachable_gateway_say_so()
    {
        var wrong = await CliAsync(["apps", "list"], secret: "not-the-secret");
        Assert.Equal(1, wrong.ExitCode);
        Assert.Contains("operator credentials were refused", wrong.Error, StringComparison.Ordinal);

        var missing = await CliAsync(["apps", "list"], secret: "");
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains("SYNCENGINE_CLIENT_SECRET", missing.Error, StringComparison.Ordinal);

        var unreachable = await CliAsync(["apps", "list", "--url", "http://127.0.0.1:1"]);
        Assert.Equal(1, unreachable.ExitCode);
        Assert.Contains("Cannot reach http://127.0.0.1:1/", unreachable.Error, StringComparison.Ordinal);

        var usage = await CliAsync("apps", "frobnicate");
        Assert.NotEqual(0, usage.ExitCode);
    }

    [Fact]
    public async Task an_operator_adds_lists_and_retires_a_signing_key_and_the_only_signing_key_is_kept()
    {
        var added = await CliAsync("keys", "add", "--json");
        Assert.True(added.ExitCode == 0, added.Error);
        var kid = added.Json.GetProperty("kid").GetString()!;
        Assert.Equal("pending", added.Json.GetProperty("state").GetString());

        var listed = await CliAsync("keys", "list");
        Assert.True(listed.ExitCode == 0, listed.Error);
        Assert.Matches($@"(?m)^{kid}\s+pending\s", listed.Output);
        var signing = Assert.Single((await CliAsync("keys", "list", "--json")).Json.EnumerateArray(),
            k => k.GetProperty("state").GetString() == "signing").GetProperty("kid").GetString()!;

        var refused = await CliAsync("keys", "retire", signing);
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("409 conflict", refused.Error, StringComparison.Ordinal);

        var retired = await CliAsync("keys", "retire", kid);
        Assert.True(retired.ExitCode == 0, retired.Error);
        Assert.Matches($@"(?m)^{kid}\s+retired\s", retired.Output);
        using var jwks = await app.Gateway.GetAsync("/.well-known/jwks.json", Ct);
        var published = await jwks.Content.ReadAsStringAsync(Ct);
        Assert.DoesNotContain(kid, published, StringComparison.Ordinal);
        Assert.Contains(signing, published, StringComparison.Ordinal);
    }

    [Fact]
    public async Task an_operator_cuts_off_a_lost_device_and_erases_a_workspace_only_when_confirmed()
    {
        var (workspaceId, _, master) = await app.NewWorkspaceAsync(Ct);
        var (device, token) = await app.NewMemberAsync(workspaceId, master, "read_write", Ct);

        var unconfirmed = await CliAsync("clients", "revoke", SyncEngineApp.DefaultApp, device.ToString());
        Assert.Equal(1, unconfirmed.ExitCode);
        Assert.Contains("--yes", unconfirmed.Error, StringComparison.Ordinal);
        Assert.Equal(System.Net.HttpStatusCode.NoContent, await app.Gateway.StatusAsync($"/api/workspaces/{workspaceId}/changes?after=0", token, Ct));

        var revoked = await CliAsync("clients", "revoke", SyncEngineApp.DefaultApp, device.ToString(), "--yes", "--json");
        Assert.True(revoked.ExitCode == 0, revoked.Error);
        Assert.Equal(workspaceId, Assert.Single(revoked.Json.GetProperty("workspaces").EnumerateArray()).GetGuid());
        Assert.Equal(System.Net.HttpStatusCode.Unauthorized, await Eventually.Until(
            t => app.Gateway.StatusAsync($"/api/workspaces/{workspaceId}/changes?after=0", token, t),
            s => s == System.Net.HttpStatusCode.Unauthorized, TimeSpan.FromSeconds(10), Ct));

        var notErased = await CliAsync("workspaces", "delete", workspaceId.ToString());
        Assert.Equal(1, notErased.ExitCode);
        Assert.Equal(System.Net.HttpStatusCode.OK, await app.Gateway.StatusAsync($"/api/workspaces/{workspaceId}", master, Ct));
        var erased = await CliAsync("workspaces", "delete", workspaceId.ToString(), "--yes");
        Assert.True(erased.ExitCode == 0, erased.Error);
        Assert.Equal(System.Net.HttpStatusCode.Gone, await app.Gateway.StatusAsync($"/api/workspaces/{workspaceId}", master, Ct));
    }

    private static string NewAppId() => $"cli-{Guid.NewGuid():N}"[..16];

    private Task<Outcome> CliAsync(params string[] arguments) => CliAsync(arguments, secret: null);

    private async Task<Outcome> CliAsync(string[] arguments, string? secret)
    {
        // Standard input redirected (and closed at once), as in a script: commands that ask first must refuse, not hang.
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        start.ArgumentList.Add(CliAssembly);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["SYNCENGINE_URL"] = app.Gateway.BaseAddress!.ToString();
        start.Environment["SYNCENGINE_CLIENT_ID"] = SyncEngineApp.OperatorClientId;
        start.Environment["SYNCENGINE_CLIENT_SECRET"] = secret ?? app.OperatorSecret;
        using var process = Process.Start(start) ?? throw new InvalidOperationException("dotnet did not start");
        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEndAsync(Ct);
        var error = process.StandardError.ReadToEndAsync(Ct);
        await process.WaitForExitAsync(Ct);
        return new Outcome(process.ExitCode, await output, await error);
    }

    /// <summary>The CLI as built beside this test assembly's configuration (the project reference builds it first).</summary>
    private static string CliAssembly { get; } = Path.Combine(
        Repository.Root, "src", "SyncEngine.Cli", "bin",
        Path.GetFileName(Path.GetDirectoryName(Path.TrimEndingDirectorySeparator(AppContext.BaseDirectory))!), "net10.0", "syncengine.dll");

    [Fact]
    public async Task an_operator_lists_an_apps_workspaces_page_by_page_and_shows_one()
    {
        var appId = $"cliws-{Guid.NewGuid():N}"[..16];
        Assert.Equal(0, (await CliAsync("apps", "create", appId)).ExitCode);
        var ids = new List<Guid>();
        for (var i = 0; i < 3; i++)
        {
            var (workspaceId, _, master) = await app.NewWorkspaceInAppAsync(appId, Ct);
            await app.Api.PushAsync(master, workspaceId, new byte[10 * (i + 1)], Guid.NewGuid(), 1, Ct);
            ids.Add(workspaceId);
        }

        var firstPage = await CliAsync("workspaces", "list", appId, "--limit", "2");
        Assert.Equal(0, firstPage.ExitCode);
        Assert.Contains("STORED BYTES", firstPage.Output, StringComparison.Ordinal);
        var more = System.Text.RegularExpressions.Regex.Match(firstPage.Output, "more: --cursor ([0-9a-f]{32})");
        Assert.True(more.Success, firstPage.Output);
        var secondPage = await CliAsync("workspaces", "list", appId, "--limit", "2", "--cursor", more.Groups[1].Value);
        Assert.Equal(3, ids.Count(id => firstPage.Output.Contains(id.ToString(), StringComparison.Ordinal) ^ secondPage.Output.Contains(id.ToString(), StringComparison.Ordinal)));

        var all = System.Text.Json.JsonDocument.Parse((await CliAsync("workspaces", "list", appId, "--limit", "1", "--all", "--json")).Output).RootElement;
        Assert.Equal(ids.Order(), all.GetProperty("items").EnumerateArray().Select(w => w.GetProperty("workspaceId").GetGuid()));
        Assert.Equal(60, all.GetProperty("items").EnumerateArray().Sum(w => w.GetProperty("storedBytes").GetInt64()));

        var shown = await CliAsync("workspaces", "show", ids[2].ToString());
        Assert.Equal(0, shown.ExitCode);
        Assert.Matches($@"app:\s+{appId}", shown.Output);
        Assert.Matches(@"stored bytes:\s+30", shown.Output);
        var missing = await CliAsync("workspaces", "show", Guid.NewGuid().ToString());
        Assert.NotEqual(0, missing.ExitCode);
        Assert.Contains("workspace-not-found", missing.Output + missing.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task an_operator_exports_a_workspace_to_a_file_and_imports_it_into_another_app()
    {
        var (workspaceId, owner, master) = await app.NewWorkspaceAsync(Ct);
        await app.Api.PushAsync(master, workspaceId, [1, 2, 3], Guid.NewGuid(), 1, Ct);
        var folder = Directory.CreateTempSubdirectory("syncengine-cli-archive-").FullName;
        try
        {
            var file = Path.Combine(folder, "journal.searchive");
            var exported = await CliAsync("workspaces", "export", workspaceId.ToString(), "--output", file);
            Assert.True(exported.ExitCode == 0, exported.Error);
            Assert.Contains($"exported {workspaceId} to {file}", exported.Output, StringComparison.Ordinal);
            Assert.False(File.Exists(file + ".partial"));

            var taken = await CliAsync("workspaces", "import", SyncEngineApp.DefaultApp, file);
            Assert.NotEqual(0, taken.ExitCode);
            Assert.Contains("workspace-exists", taken.Output + taken.Error, StringComparison.Ordinal);

            var copy = Guid.NewGuid();
            var moved = Path.Combine(folder, "copy.searchive");
            await File.WriteAllBytesAsync(moved, Archives.ForWorkspace(await File.ReadAllBytesAsync(file, Ct), copy), Ct);
            var imported = await CliAsync("workspaces", "import", SyncEngineApp.DefaultApp, moved, "--json");
            Assert.True(imported.ExitCode == 0, imported.Error);
            var restored = System.Text.Json.JsonDocument.Parse(imported.Output).RootElement;
            Assert.Equal((copy, owner), (restored.GetProperty("workspaceId").GetGuid(), restored.GetProperty("ownerClientId").GetGuid()));
            var pulled = await app.Api.PullAsync(restored.GetProperty("token").GetString()!, copy, 0, Ct);
            Assert.Equal([1, 2, 3], pulled.Frames.Single().Data);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
