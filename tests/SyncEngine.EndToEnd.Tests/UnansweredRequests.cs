using Aspire.Hosting;
using Aspire.Hosting.Testing;
using System.Diagnostics;
using System.Text;

namespace SyncEngine.EndToEnd.Tests;

/// <summary>
/// Requests through the gateway get their answer within <see cref="Patience"/>, or the app is examined: whether each
/// service answers through the gateway, through Aspire's proxy and on its own address, and each process's state,
/// threads and open files. When nothing answers, every later request of the run fails at once with that report
/// instead of waiting out HttpClient's 100 s each: a CI run once spent its 90 minutes so, and showed nothing of why.
/// </summary>
public sealed class UnansweredRequests(SyncEngineApp app) : DelegatingHandler
{
    /// <summary>Far beyond any answer the app gives (live streams answer with their headers at once).</summary>
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(45);

    private static readonly TimeSpan ProbePatience = TimeSpan.FromSeconds(5);

    private string? _stopped;

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _stopped) is { } earlier)
        {
            throw new HttpRequestException($"Not sent: the app stopped answering earlier in this run. {earlier}");
        }

        using var patience = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        patience.CancelAfter(Patience);
        try
        {
            return await base.SendAsync(request, patience.Token);
        }
        catch (OperationCanceledException) when (patience.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            var (answering, report) = await ExamineAsync();
            if (!answering)
            {
                Volatile.Write(ref _stopped, report);
            }

            throw new TimeoutException($"{request.Method} {request.RequestUri} got no answer through the gateway within {Patience.TotalSeconds} s. {report}");
        }
    }

    /// <summary>Probes every hop; answering is whether every route through the gateway answered.</summary>
    private async Task<(bool Answering, string Report)> ExamineAsync()
    {
        var report = new StringBuilder("What answers now:");
        var answering = true;
        var gateway = app.App.GetEndpoint("gateway", "http");
        foreach (var (service, path) in new[]
                 {
                     ("auth", "/.well-known/openid-configuration"), ("workspace", "/admin/apps"),
                     ("sync", $"/api/workspaces/{Guid.NewGuid()}/changes?after=0"), ("web", "/"),
                 })
        {
            var answer = await ProbeAsync(new Uri(gateway, path));
            answering &= answer.StartsWith("HTTP", StringComparison.Ordinal);
            report.Append($"\n  gateway → {service} {path}: {answer}");
        }

        foreach (var service in new[] { "auth", "workspace", "sync" })
        {
            report.Append($"\n  {service} through Aspire's proxy /alive: {await ProbeAsync(new Uri(app.App.GetEndpoint(service, "http"), "/alive"))}");
        }

        report.Append($"\n  resources as Aspire sees them: {await app.ResourceStatesAsync()}");
        report.Append(await app.FailedResourcesAsync());
        foreach (var (resource, pid) in await SyncEngineApp.ServiceProcessesAsync(app.App, resourceName: null, CancellationToken.None))
        {
            var direct = ServiceProcesses.DirectAddressOf(pid);
            var alive = direct is null ? "no address" : await ProbeAsync(new Uri(direct, "/alive"));
            report.Append($"\n  {resource} (pid {pid}, {ProcessState(pid)}) on its own address /alive: {alive}");
        }

        return (answering, report.ToString());
    }

    private static async Task<string> ProbeAsync(Uri address)
    {
        using var client = new HttpClient { Timeout = ProbePatience };
        var clock = Stopwatch.StartNew();
        try
        {
            using var response = await client.GetAsync(address);
            return $"HTTP {(int)response.StatusCode} in {clock.ElapsedMilliseconds} ms";
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            return $"{e.GetType().Name} after {clock.ElapsedMilliseconds} ms ({e.Message})";
        }
    }

    private static string ProcessState(int pid)
    {
        try
        {
            var status = File.ReadAllLines($"/proc/{pid}/status");
            string Field(string name) => status.FirstOrDefault(l => l.StartsWith(name + ":", StringComparison.Ordinal))?[(name.Length + 1)..].Trim() ?? "?";
            return $"state {Field("State")}, {Field("Threads")} threads, {Directory.GetFiles($"/proc/{pid}/fd").Length} open files, RSS {Field("VmRSS")}";
        }
        catch (IOException e)
        {
            return $"unreadable: {e.Message}";
        }
    }
}
