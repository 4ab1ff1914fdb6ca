using System.Net.Http.Headers;
using System.Net.Http.Json;

namespace SyncEngine.Testing;

/// <summary>Raw requests for tests that need the status and problem of an answer, not the typed client's exception.</summary>
public static class Requests
{
    public static async Task<HttpResponseMessage> SendAsync(
        this HttpClient http, HttpMethod method, string path, string? token, CancellationToken ct,
        HttpContent? content = null, params (string Name, string Value)[] headers)
    {
        using var request = new HttpRequestMessage(method, path) { Content = content };
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        foreach (var (name, value) in headers)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        return await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
    }

    public static Task<HttpResponseMessage> SendJsonAsync(
        this HttpClient http, HttpMethod method, string path, string? token, object body, CancellationToken ct) =>
        http.SendAsync(method, path, token, ct, JsonContent.Create(body));

    /// <summary>A body sent as it is, for JSON a serializer would never write.</summary>
    public static Task<HttpResponseMessage> SendRawJsonAsync(
        this HttpClient http, HttpMethod method, string path, string? token, string json, CancellationToken ct) =>
        http.SendAsync(method, path, token, ct, new StringContent(json, System.Text.Encoding.UTF8, "application/json"));

    /// <summary>
    /// A push with its raw answer, for tests of refusals (the typed client throws instead): a new Idempotency-Key unless
    /// one is given or <paramref name="withoutIdempotencyKey"/>, no Sync-Schema-Version when <paramref name="schemaVersion"/> is null.
    /// </summary>
    public static Task<HttpResponseMessage> PushChangeAsync(this HttpClient http, object workspaceId, string? token, HttpContent body,
        CancellationToken ct, string? schemaVersion = "1", string? idempotencyKey = null, bool withoutIdempotencyKey = false) =>
        http.SendAsync(HttpMethod.Post, $"/api/workspaces/{workspaceId}/changes", token, ct, body,
        [
            .. withoutIdempotencyKey ? Array.Empty<(string, string)>() : [("Idempotency-Key", idempotencyKey ?? Guid.NewGuid().ToString())],
            .. schemaVersion is null ? Array.Empty<(string, string)>() : [("Sync-Schema-Version", schemaVersion)],
        ]);

    /// <summary>A snapshot upload with its raw answer.</summary>
    public static Task<HttpResponseMessage> UploadSnapshotAsync(this HttpClient http, object workspaceId, string? token, HttpContent body,
        long covers, CancellationToken ct, string? schemaVersion = "1") =>
        http.SendAsync(HttpMethod.Post, $"/api/workspaces/{workspaceId}/snapshots", token, ct, body,
            [("Sync-Covers", covers.ToString(System.Globalization.CultureInfo.InvariantCulture)),
             .. schemaVersion is null ? Array.Empty<(string, string)>() : [("Sync-Schema-Version", schemaVersion)]]);

    /// <summary>The status of a GET, or 503 when the connection is refused (a replica restarted by a test may still be starting).</summary>
    public static async Task<System.Net.HttpStatusCode> StatusAsync(this HttpClient http, string path, string token, CancellationToken ct)
    {
        try
        {
            using var response = await http.SendAsync(HttpMethod.Get, path, token, ct);
            return response.StatusCode;
        }
        catch (HttpRequestException)
        {
            return System.Net.HttpStatusCode.ServiceUnavailable;
        }
    }
}
