using System.Diagnostics;

namespace Services.Sync.Realtime;

/// <summary>
/// Traces of the realtime channel: a socket lives for hours, so its messages cannot hang under the upgrade's span as
/// HTTP requests hang under theirs. Each message a device sends, and each catch-up read for it, is a trace of its own
/// (Npgsql's spans under it), linked to the socket's connection span, so the dashboard shows a push over the socket as
/// it shows one over HTTP. Collected by ServiceDefaults (sources <c>SyncEngine.*</c>).
/// </summary>
public static class SocketTelemetry
{
    public const string SourceName = "SyncEngine.Sync.Realtime";

    private static readonly ActivitySource Source = new(SourceName);

    /// <summary>A new root span for one piece of a socket's work, linked to the connection's span.</summary>
    public static Activity? Start(string name, ActivityContext connection, Guid? workspaceId)
    {
        Activity.Current = null;
        var activity = Source.StartActivity(name, ActivityKind.Server, parentContext: default,
            links: connection == default ? null : [new ActivityLink(connection)]);
        if (workspaceId is { } id)
        {
            activity?.SetTag("syncengine.workspace", id.ToString());
        }

        return activity;
    }

    /// <summary>Marks the span with the problem code a message was refused with.</summary>
    public static void Refused(Activity? activity, string code)
    {
        activity?.SetTag("syncengine.problem", code);
        activity?.SetStatus(ActivityStatusCode.Error, code);
    }
}
