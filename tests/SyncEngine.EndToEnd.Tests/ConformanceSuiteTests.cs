using System.Diagnostics;
using System.Text.Json;
using SyncEngine.Testing;
using Xunit;

namespace SyncEngine.EndToEnd.Tests;

/// <summary>
/// Runs each Node test file of the conformance suite (tests/Protocol.Conformance/tests/*.test.mjs: a client written
/// from docs/protocol.md alone) against the whole app, as its own test, so a failure names the file and shows node's
/// report. The files learn where the gateway is and how this deployment differs from the documented defaults from
/// environment variables. On the RabbitMQ app, whose collection runs beside the PostgreSQL app's longer one, rather than
/// on an app of its own (docs/benchmarks.md, "The test suite's time"): what a client sees does not depend on the
/// transport, and the transport's own promises (a revocation everywhere within a second) are the end-to-end journeys',
/// run on both.
/// </summary>
[Collection(RabbitMqCollection.Name)]
public sealed class ConformanceSuiteTests(RabbitMqApp app)
{
    private static readonly string Suite = Path.Combine(Repository.Root, "tests", "Protocol.Conformance");

    /// <summary>The longest a file may run: the slowest (the claim retry window, heartbeats) takes well under a minute.</summary>
    private static readonly TimeSpan FileTimeout = TimeSpan.FromMinutes(3);

    public static TheoryData<string> Files()
    {
        var files = new TheoryData<string>();
        foreach (var file in Directory.EnumerateFiles(Path.Combine(Suite, "tests"), "*.test.mjs").Order(StringComparer.Ordinal))
        {
            files.Add(Path.GetFileName(file));
        }

        return files;
    }

    [Theory]
    [MemberData(nameof(Files))]
    public async Task node_test_file_passes(string file)
    {
        Assert.True(File.Exists(Path.Combine(Suite, "node_modules", "loro-crdt", "package.json")),
            $"{Suite}/node_modules is missing loro-crdt: run `npm ci` there (the build does).");
        var ct = TestContext.Current.CancellationToken;
        var start = new ProcessStartInfo("node")
        {
            WorkingDirectory = Suite,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        // Node 20 has the platform's WebSocket behind a flag (22 turned it on): the realtime channel's file needs it.
        string[] flags = NodeBelow22.Value ? ["--experimental-websocket"] : [];
        foreach (var argument in flags.Concat(["--test", "--test-reporter=spec", Path.Combine("tests", file)]))
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["NO_COLOR"] = "1";
        start.Environment["SYNCENGINE_URL"] = app.Gateway.BaseAddress!.ToString();
        start.Environment["SYNCENGINE_GATEWAY_DIRECT"] = (await GatewayDirectAsync(ct)).ToString();
        start.Environment["SYNCENGINE_SETTINGS"] = Settings;
        using var process = Process.Start(start) ?? throw new InvalidOperationException("node did not start");
        var stdout = process.StandardOutput.ReadToEndAsync(ct);
        var stderr = process.StandardError.ReadToEndAsync(ct);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(FileTimeout);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(CancellationToken.None);
        }

        var report = $"{await stdout}\n{await stderr}";
        TestContext.Current.TestOutputHelper?.WriteLine(report);
        Assert.True(process.ExitCode == 0, $"`node --test tests/{file}` exited with {process.ExitCode}:\n{report}");
    }

    /// <summary>
    /// The gateway process's own address: Aspire's proxy makes every client 127.0.0.1, so a test that spends a
    /// per-address budget connects here from another loopback address instead.
    /// </summary>
    private async Task<Uri> GatewayDirectAsync(CancellationToken ct)
    {
        var gateway = (await SyncEngineApp.ServiceProcessesAsync(app.App, "gateway", ct)).Single().Pid;
        return ServiceProcesses.DirectAddressOf(gateway) ?? throw new InvalidOperationException("The gateway's own address was not found.");
    }

    private static readonly Lazy<bool> NodeBelow22 = new(() =>
    {
        using var node = Process.Start(new ProcessStartInfo("node", "--version") { RedirectStandardOutput = true })
            ?? throw new InvalidOperationException("node did not start");
        var version = node.StandardOutput.ReadToEnd().Trim().TrimStart('v');
        node.WaitForExit();
        return int.Parse(version.Split('.')[0], System.Globalization.CultureInfo.InvariantCulture) < 22;
    });

    /// <summary>What the fixture's AppHost arguments change from docs/protocol.md's defaults, by setting name.</summary>
    private static readonly string Settings = JsonSerializer.Serialize(new Dictionary<string, object>
    {
        ["Sync:MaxChangeBytes"] = SyncEngineApp.MaxChangeBytes,
        ["Sync:MaxSnapshotBytes"] = SyncEngineApp.MaxSnapshotBytes,
        ["Sync:MaxSchemaVersion"] = SyncEngineApp.MaxSchemaVersion,
        // The fixture's --Sync:HeartbeatEvery=00:00:02, which it keeps as an argument rather than a constant.
        ["Sync:HeartbeatEvery"] = 2,
        ["Workspace:ClaimRetryWindow"] = SyncEngineApp.ClaimRetryWindow.TotalSeconds,
        ["Gateway:ClaimsPerMinutePerAddress"] = SyncEngineApp.ClaimsPerMinutePerAddress,
    });
}
