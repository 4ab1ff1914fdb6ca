using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Mvc;

namespace Services.Sync.Archives;

/// <summary>A workspace's record as Workspace gives it (its <c>GET /internal/workspaces/{id}</c>), what an archive records.</summary>
public sealed record WorkspaceRecord(
    Guid WorkspaceId, string AppId, Guid OwnerClientId, string? OwnerSubject, DateTimeOffset CreatedAt, IReadOnlyList<ArchiveMember> Members);

/// <summary>A restored workspace as Workspace recorded it: its owner's new master token.</summary>
public sealed record RestoredOwner(Guid WorkspaceId, Guid OwnerClientId, string Token);

/// <summary>
/// Sync's questions to Workspace about an archive's workspace, on Workspace's own port (service discovery's
/// <c>workspace</c>), as the operator who asked: the operator's bearer token goes along, so Workspace checks it as for
/// any admin route. Workspace owns who a workspace belongs to; Sync what it stores.
/// </summary>
public sealed class WorkspaceRecords(IHttpClientFactory http)
{
    public const string HttpClientName = "workspace-records";

    /// <summary>The workspace's record, or Workspace's problem (404, 410, 401) as it answered it.</summary>
    public async Task<(WorkspaceRecord? Record, ProblemDetails? Problem)> GetAsync(Guid workspaceId, string authorization, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"http://workspace/internal/workspaces/{workspaceId}");
        return await SendAsync<WorkspaceRecord>(request, authorization, ct);
    }

    /// <summary>
    /// Asks Workspace to record a restored workspace and issue its owner a master token: 201, or its problem (409
    /// workspace-exists, 410 workspace-deleted, 404 app-not-found). The archive's checksum makes a retry of the same
    /// restore (after a failure here) recognisable.
    /// </summary>
    public async Task<(RestoredOwner? Owner, ProblemDetails? Problem)> RestoreAsync(
        string appId, ArchiveMetadata metadata, string checksum, string authorization, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "http://workspace/internal/workspaces/restore")
        {
            Content = JsonContent.Create(new
            {
                metadata.WorkspaceId,
                AppId = appId,
                metadata.OwnerClientId,
                metadata.OwnerSubject,
                metadata.CreatedAt,
                Checksum = checksum,
            }),
        };
        return await SendAsync<RestoredOwner>(request, authorization, ct);
    }

    private async Task<(T?, ProblemDetails?)> SendAsync<T>(HttpRequestMessage request, string authorization, CancellationToken ct)
        where T : class
    {
        request.Headers.Authorization = AuthenticationHeaderValue.Parse(authorization);
        using var client = http.CreateClient(HttpClientName);
        HttpResponseMessage sent;
        try
        {
            sent = await client.SendAsync(request, ct);
        }
        catch (Exception e) when (SyncEngine.Backend.ServiceCalls.IsUnreachable(e, ct))
        {
            // Workspace restarting or out of reach: the operator tries again; nothing was stored.
            return (null, new ProblemDetails { Status = StatusCodes.Status503ServiceUnavailable, Detail = $"Workspace could not be reached: {e.Message}" });
        }

        using var response = sent;
        if (response.IsSuccessStatusCode)
        {
            return (await response.Content.ReadFromJsonAsync<T>(ct), null);
        }

        var problem = response.Content.Headers.ContentType?.MediaType == "application/problem+json"
            ? await response.Content.ReadFromJsonAsync<ProblemDetails>(ct)
            : null;
        return (null, problem ?? new ProblemDetails
        {
            Status = response.StatusCode == HttpStatusCode.Unauthorized ? 401 : StatusCodes.Status503ServiceUnavailable,
            Detail = $"Workspace answered {(int)response.StatusCode}.",
        });
    }
}
