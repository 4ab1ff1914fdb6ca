using Microsoft.AspNetCore.Http.Features;
using SyncEngine.ServiceDefaults.Problems;
using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.Model;

namespace Gateway;

/// <summary>
/// The gateway's ceilings on request bodies: documents (changes, snapshots) up to <c>Gateway:MaxRequestBodyBytes</c>
/// (Sync applies its own, tighter limits), workspace archives being restored up to <c>Gateway:MaxArchiveBytes</c> (4 GiB),
/// every other route (claim, join, grant: small JSON, several of them
/// anonymous) up to <c>Gateway:MaxJsonBodyBytes</c>, so a service never parses a large body it has no use for. A declared Content-Length over it is refused before anything is read;
/// a chunked body that grows past it is cut by Kestrel mid-stream, which YARP reports as a request-body error that
/// we turn into the same 413 instead of YARP's bare 400/502.
/// </summary>
public static class RequestBodyLimit
{
    public const long DefaultMaxJsonBytes = 64 * 1024;
    public const long DefaultMaxDocumentBytes = 16L * 1024 * 1024;
    public const long DefaultMaxArchiveBytes = 4L * 1024 * 1024 * 1024;

    public static IApplicationBuilder UseRequestBodyLimit(this IApplicationBuilder app, IConfiguration configuration)
    {
        var maxJson = configuration.GetValue("Gateway:MaxJsonBodyBytes", DefaultMaxJsonBytes);
        var maxDocument = configuration.GetValue("Gateway:MaxRequestBodyBytes", DefaultMaxDocumentBytes);
        var maxArchive = configuration.GetValue("Gateway:MaxArchiveBytes", DefaultMaxArchiveBytes);
        return app.Use(async (context, next) =>
        {
            // Routing has run: the endpoint is the YARP route the request will be forwarded by, if any.
            var maxBytes = context.GetEndpoint()?.Metadata.GetMetadata<RouteModel>()?.Config.Metadata?.GetValueOrDefault(GatewayRoutes.BodyKind) switch
            {
                GatewayRoutes.DocumentBody => maxDocument,
                GatewayRoutes.ArchiveBody => maxArchive,
                _ => maxJson,
            };
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
    }

    private static Task TooLarge(HttpContext context, long maxBytes)
    {
        context.Response.StatusCode = StatusCodes.Status413PayloadTooLarge;
        return Results.Problem(Problem.Create(
                StatusCodes.Status413PayloadTooLarge, ProblemCodes.PayloadTooLarge, $"Request bodies are limited to {maxBytes} bytes."))
            .ExecuteAsync(context);
    }
}
