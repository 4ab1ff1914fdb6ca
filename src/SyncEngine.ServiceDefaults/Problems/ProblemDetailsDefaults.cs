using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace SyncEngine.ServiceDefaults.Problems;

public static class ProblemDetailsDefaults
{
    /// <summary>
    /// Every error leaves a service as problem+json with a <c>code</c>: bare statuses (404 on an unknown route, 405)
    /// get one from <see cref="Problem.CodeOf"/>, and exceptions that are the client's doing (unreadable JSON, a stale
    /// write) become 400/409 instead of a 500, and an unreachable database 503 with Retry-After (<see cref="DatabaseOutage"/>). Faults of libraries this project does not reference (Marten's stale
    /// writes, in SyncEngine.Backend) come from the <see cref="ClientFault"/>s registered.
    /// </summary>
    public static IServiceCollection AddSyncEngineProblemDetails(this IServiceCollection services)
    {
        services.AddProblemDetails(options => options.CustomizeProblemDetails = context =>
        {
            var status = context.ProblemDetails.Status ?? context.HttpContext.Response.StatusCode;
            context.ProblemDetails.Extensions.TryAdd("code", Problem.CodeOf(status));
            context.ProblemDetails.Extensions.Remove("exception");
        });
        services.AddExceptionHandler<ClientFaultExceptionHandler>();
        return services;
    }

    public static WebApplication UseSyncEngineProblemDetails(this WebApplication app)
    {
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        return app;
    }

    private sealed class ClientFaultExceptionHandler(
        IProblemDetailsService problems, IEnumerable<ClientFault> faults, ILogger<ClientFaultExceptionHandler> logger)
        : IExceptionHandler
    {
        public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken cancellationToken)
        {
            var problem = exception switch
            {
                BadHttpRequestException bad when bad.StatusCode == StatusCodes.Status413PayloadTooLarge =>
                    Problem.Create(413, ProblemCodes.PayloadTooLarge, "The request body is larger than this route accepts."),
                BadHttpRequestException bad => Problem.InvalidRequest(bad.Message),
                System.Text.Json.JsonException => Problem.InvalidRequest("The request body is not valid JSON for this route."),
                _ when DatabaseOutage.Is(exception) => Problem.Create(StatusCodes.Status503ServiceUnavailable, ProblemCodes.Unavailable,
                    "The database cannot be reached right now. Retry after the seconds in Retry-After, with the same Idempotency-Key where the request has one."),
                _ => faults.Select(fault => fault(exception)).FirstOrDefault(p => p is not null),
            };
            if (problem is null)
            {
                logger.LogError(exception, "Unhandled exception on {Path}", context.Request.Path);
                problem = Problem.Create(500, ProblemCodes.Internal, "The server failed to handle this request.");
            }

            context.Response.StatusCode = problem.Status!.Value;
            if (problem.Status == StatusCodes.Status503ServiceUnavailable)
            {
                logger.LogWarning(exception, "Database unavailable on {Path}", context.Request.Path);
                context.Response.Headers.RetryAfter = ((int)DatabaseOutage.RetryAfter.TotalSeconds).ToString(System.Globalization.CultureInfo.InvariantCulture);
            }

            return await problems.TryWriteAsync(new ProblemDetailsContext { HttpContext = context, ProblemDetails = problem, Exception = exception });
        }
    }
}
