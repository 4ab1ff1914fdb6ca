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

    /// <summary>Answers the n-th call as <paramref name="answer"/> says; the handler behind the gateway's client.</summary>
    private sealed class Scripted(Func<int, HttpResponseMessage> answer) : HttpMessageHandler
    {
        private int _calls;

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            Task.FromResult(answer(Interlocked.Increment(ref _calls) - 1));
    }

    private sealed class Factory(HttpMessageHandler handler) : IHttpClientFactory
    {
        public HttpClient CreateClient(string name) => new(handler, disposeHandler: false);
    }

    [Fact]
    public async Task the_refresh_outlives_timeouts_an_open_circuit_and_unexpected_errors_and_takes_the_next_list()
    {
        var ct = TestContext.Current.CancellationToken;
        using var workspace = new Scripted(call => call switch
        {
            // What the standard resilience handler throws when Workspace is too slow or keeps failing, then anything else.
            0 => throw new TimeoutRejectedException(),
            1 => throw new BrokenCircuitException(),
            2 => throw new InvalidOperationException("something unforeseen"),
            _ => new HttpResponseMessage(HttpStatusCode.OK)
            {
                Content = new StringContent($$"""[{"appId":"tasks","allowedOrigins":["{{TaskOrigin}}"]}]""", Encoding.UTF8, "application/json"),
            },
        });
        var origins = new AppOrigins();
        using var refresh = new AppOrigins.Refresh(origins, new Factory(workspace), TimeSpan.FromMilliseconds(20), NullLogger<AppOrigins.Refresh>.Instance);
        await refresh.StartAsync(ct);

        // A guard, not a timing: the fourth call comes some 60 ms after the start.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (origins.AppsAllowing(TaskOrigin) is null && !refresh.ExecuteTask!.IsCompleted && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20, ct);
        }

        Assert.False(refresh.ExecuteTask!.IsCompleted, $"the refresh ended: {refresh.ExecuteTask.Exception?.InnerException?.Message}");
        Assert.Equal(["tasks"], origins.AppsAllowing(TaskOrigin)!);
        await refresh.StopAsync(ct);
    }
}
