using System.Collections.Concurrent;
using System.Diagnostics;

namespace SyncEngine.Topology;

/// <summary>One published program running as a process of its own; its output is kept for the message when it fails.</summary>
public sealed class ServiceProcess : IAsyncDisposable
{
    private const int KeptLines = 5_000;
    private static readonly HttpClient Probe = new() { Timeout = TimeSpan.FromSeconds(2) };
    private readonly ConcurrentQueue<string> _output = new();
    private readonly Process _process;

    private ServiceProcess(string name, Process process, Uri address, Uri health)
    {
        Name = name;
        _process = process;
        Address = address;
        Health = health;
    }

    public string Name { get; }

    /// <summary>Where it answers requests (a service's own port; the gateway's public one).</summary>
    public Uri Address { get; }

    /// <summary>Its readiness probe, as the deploy files give it.</summary>
    public Uri Health { get; }

    public int Id => _process.Id;
    public bool HasExited => _process.HasExited;

    /// <summary>The last lines it wrote.</summary>
    public string Output => string.Join('\n', _output);

    public static ServiceProcess Start(string name, ProcessStartInfo info, Uri address, Uri health, TextWriter log)
    {
        var process = Process.Start(info) ?? throw new InvalidOperationException($"{info.FileName} did not start.");
        var started = new ServiceProcess(name, process, address, health);
        process.OutputDataReceived += (_, e) => started.Keep(e.Data);
        process.ErrorDataReceived += (_, e) => started.Keep(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        log.WriteLine($"[topology] started {name} (pid {process.Id}) at {address}");
        return started;
    }

    /// <summary>Polls its readiness probe until it answers 200; fails at once, with its output, if it exits.</summary>
    public async Task WaitUntilReadyAsync(TimeSpan timeout, CancellationToken ct)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(timeout);
        using var poll = new PeriodicTimer(TimeSpan.FromMilliseconds(200));
        while (true)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"{Name} exited with {_process.ExitCode} before it was ready:\n{Output}");
            }

            if (await IsReadyAsync(deadline.Token))
            {
                return;
            }

            try
            {
                await poll.WaitForNextTickAsync(deadline.Token);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                throw new TimeoutException($"{Name} did not answer {Health} with 200 within {timeout.TotalSeconds:0} s:\n{Output}");
            }
        }
    }

    public async Task<bool> IsReadyAsync(CancellationToken ct)
    {
        try
        {
            using var response = await Probe.GetAsync(Health, ct);
            return response.IsSuccessStatusCode;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
        {
            return false;
        }
    }

    /// <summary>SIGTERM, as an orchestrator stops a container; SIGKILL if it has not exited 10 s later.</summary>
    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            await ProductionTopology.RunAsync("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)], CancellationToken.None);
            using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            try
            {
                await _process.WaitForExitAsync(grace.Token);
            }
            catch (OperationCanceledException)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync(CancellationToken.None);
            }
        }

        _process.Dispose();
    }

    private void Keep(string? line)
    {
        if (line is null)
        {
            return;
        }

        _output.Enqueue(line);
        while (_output.Count > KeptLines && _output.TryDequeue(out _))
        {
        }
    }
}
