using Microsoft.AspNetCore.Http.Features;
using SyncEngine.ServiceDefaults.Problems;
using Yarp.ReverseProxy.Forwarder;

namespace Gateway;

/// <summary>
/// The gateway's ceiling on request bodies. A declared Content-Length over it is refused before anything is read;
/// a chunked body that grows past it is cut by Kestrel mid-stream, which YARP reports as a request-body error that
/// we turn into the same 413 instead of YARP's bare 400/502.
/// </summary>
public static class RequestBodyLimit
{
    public static IApplicationBuilder UseRequestBodyLimit(this IApplicationBuilder app, long maxBytes) =>
        app.Use(async (context, next) =>
        {
            if (context.Request.ContentLength > maxBytes)
            {
                await TooLarge(context, maxBytes);
                return;
            }

            if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } feature)
            {
                feature.MaxRequestBodySize = maxBytes;
            }

            await next(context);

            if (context.Features.Get<IForwarderErrorFeature>() is { Error: ForwarderError.RequestBodyClient } error
                && error.Exception is BadHttpRequestException { StatusCode: StatusCodes.Status413PayloadTooLarge }
                && !context.Response.HasStarted)
            {
                await TooLarge(context, maxBytes);
            }
        });

    private static Task TooLarge(HttpContext context, long maxBytes)
    {
        context.Response.StatusCode = StatusCodes.Status413PayloadTooLarge;
        return Results.Problem(Problem.Create(
                StatusCodes.Status413PayloadTooLarge, ProblemCodes.PayloadTooLarge, $"Request bodies are limited to {maxBytes} bytes."))
            .ExecuteAsync(context);
    }
}
