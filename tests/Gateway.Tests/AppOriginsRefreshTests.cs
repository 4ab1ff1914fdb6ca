using System.Net;
using System.Text;
using Gateway;
using Microsoft.Extensions.Logging.Abstractions;
using Polly.CircuitBreaker;
using Polly.Timeout;
using Xunit;

namespace Gateway.Tests;

/// <summary>
/// The gateway's refresh of the apps' allowed origins (AppOrigins.Refresh) outlives every way a call to Workspace can
/// end: an exception escaping it would stop the gateway itself, and every request after would go unanswered.
/// </summary>
public sealed class AppOriginsRefreshTests
{
    private const string TaskOrigin = "https://tasks.example.com";

    /// <summary>
    /// Answers the n-th call as <paramref name="answer"/> says; the handler behind the gateway's client. The call after
    /// the scripted ones completes <see cref="Beyond"/>: the loop came round again after taking the last answer.
    /// </summary>
    private sealed class Scripted(int scripted, Func<int, HttpResponseMessage> answer) : HttpMessageHandler
    {
        private int _calls;

        public TaskCompletionSource Beyond { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var call = Interlocked.Increment(ref _calls) - 1;
            if (call >= scripted)
            {
                Beyond.TrySetResult();
                return Task.FromResult(new HttpResponseMessage(HttpStatusCode.NotModified));
            }

            return Task.FromResult(answer(call));
        }
    }

    private sealed class Factory(HttpMessageHandler handler) : IHttpClientFactory
    {
        public HttpClient CreateClient(string name) => new(handler, disposeHandler: false);
    }

    [Fact]
    public async Task the_refresh_outlives_timeouts_an_open_circuit_and_unexpected_errors_and_takes_the_next_list()
    {
        var ct = TestContext.Current.CancellationToken;
        using var workspace = new Scripted(4, call => call switch
        {
            // What the standard resilience handler throws when Workspace is too slow or keeps failing, then anything else.
            0 => throw new TimeoutRejectedException(),
            1 => throw new BrokenCircuitException(),
            2 => throw new InvalidOperationException("something unforeseen"),
            3 => new HttpResponseMessage(HttpStatusCode.OK)
            {
                Content = new StringContent($$"""[{"appId":"tasks","allowedOrigins":["{{TaskOrigin}}"]}]""", Encoding.UTF8, "application/json"),
            },
            _ => throw new InvalidOperationException("not scripted"),
        });
        var origins = new AppOrigins();
        using var refresh = new AppOrigins.Refresh(origins, new Factory(workspace), TimeSpan.FromMilliseconds(20), NullLogger<AppOrigins.Refresh>.Instance);
        await refresh.StartAsync(ct);

        // The fifth call comes only once the loop outlived the three failures and took the list; if an exception ends
        // the loop first, its task completes instead (10 s is a hang guard).
        await Task.WhenAny(workspace.Beyond.Task, refresh.ExecuteTask!).WaitAsync(TimeSpan.FromSeconds(10), ct);

        Assert.False(refresh.ExecuteTask!.IsCompleted, $"the refresh ended: {refresh.ExecuteTask.Exception?.InnerException?.Message}");
        Assert.Equal(["tasks"], origins.AppsAllowing(TaskOrigin)!);
        await refresh.StopAsync(ct);
    }
}
