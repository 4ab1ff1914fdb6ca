using System.Net.WebSockets;
using Microsoft.AspNetCore.Mvc;
using SyncEngine.Backend.OpenApi;
using SyncEngine.ServiceDefaults.Problems;

namespace Services.Sync.Realtime;

/// <summary>
/// <c>GET /api/sync</c>: the realtime channel, one WebSocket per device multiplexing its workspaces (docs/protocol.md,
/// "Realtime channel"). The upgrade carries no token (browsers cannot set headers on a WebSocket): each workspace is
/// authorised by the token in its <c>subscribe</c>, and again on every push.
/// </summary>
public static class SyncSocket
{
    /// <summary>How often the server pings at the WebSocket level; a device that does not answer within as long is dropped.</summary>
    public static readonly TimeSpan KeepAlive = TimeSpan.FromSeconds(15);

    /// <summary>
    /// Set by the gateway on a cross-origin request it let through (Gateway's AppCors): the browser origin the socket
    /// was opened from, whose tokens must then be of an app that lists it, as on the HTTP routes.
    /// </summary>
    public const string CrossOriginHeader = "SyncEngine-Cross-Origin";

    public static void MapSyncSocket(this IEndpointRouteBuilder app) => app.MapGet("/api/sync", Handle);

    [EndpointName("syncSocket")]
    [EndpointSummary("Open the realtime channel")]
    [EndpointDescription("A WebSocket (subprotocol `syncengine.v1`) that multiplexes a device's workspaces: subscribe with a token " +
        "and cursor, receive what the device lacks and then every change with its bytes, push and get acknowledgements. Messages are " +
        "specified byte by byte in docs/protocol.md, \"Realtime channel\".")]
    [Tags("Live")]
    [ProducesResponseType(StatusCodes.Status101SwitchingProtocols, Description = "The socket is open.")]
    [ProblemResponse(StatusCodes.Status400BadRequest, ProblemCodes.InvalidRequest,
        Description = "Not a WebSocket upgrade, or the subprotocol syncengine.v1 was not offered.")]
    private static async Task<IResult> Handle(HttpContext http, SocketServices services, IHostApplicationLifetime lifetime)
    {
        if (!http.WebSockets.IsWebSocketRequest)
        {
            return Problem.Result(Problem.InvalidRequest($"/api/sync is a WebSocket: upgrade with the subprotocol {SocketMessages.Subprotocol}."));
        }

        if (!http.WebSockets.WebSocketRequestedProtocols.Contains(SocketMessages.Subprotocol))
        {
            return Problem.Result(Problem.InvalidRequest($"Offer the subprotocol {SocketMessages.Subprotocol} (Sec-WebSocket-Protocol)."));
        }

        using var socket = await http.WebSockets.AcceptWebSocketAsync(new WebSocketAcceptContext
        {
            SubProtocol = SocketMessages.Subprotocol,
            KeepAliveInterval = KeepAlive,
            KeepAliveTimeout = KeepAlive,
        });
        string? crossOrigin = http.Request.Headers[CrossOriginHeader];
        await new SocketSession(socket, services, crossOrigin).RunAsync(lifetime.ApplicationStopping);
        return Results.Empty;
    }
}
