using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace SyncEngine.AppHost;

/// <summary>
/// What an operator can click on Auth in the dashboard: "Add signing key" (the first step of a rotation; the CLI's
/// <c>keys retire</c> finishes it). The command calls Auth's admin API like the CLI does, with an operator token it gets
/// from Auth's <c>/connect/token</c> with the credentials the AppHost holds.
/// </summary>
public static class OperatorCommands
{
    public const string AddSigningKey = "add-signing-key";

    public static IResourceBuilder<ProjectResource> WithOperatorCommands(
        this IResourceBuilder<ProjectResource> auth, OperatorSecret.Credentials credentials) =>
        auth.WithHttpCommand("/admin/keys", "Add signing key", commandName: AddSigningKey, commandOptions: new HttpCommandOptions
        {
            Method = HttpMethod.Post,
            Description = "Adds an ES256 signing key: published at once, signing new tokens in 15 minutes. Retire the old key " +
                "afterwards with `syncengine keys retire <kid>` (docs/operations.md).",
            ConfirmationMessage = "Add a signing key? It is published now and signs new tokens in 15 minutes.",
            IconName = "KeyMultiple",
            PrepareRequest = async context =>
            {
                context.Request.Headers.Authorization = new AuthenticationHeaderValue(
                    "Bearer", await OperatorTokenAsync(context.HttpClient, new Uri(context.Endpoint.Url), credentials, context.CancellationToken));
                context.Request.Content = JsonContent.Create(new { });
            },
            GetCommandResult = async context =>
            {
                var body = await context.Response.Content.ReadAsStringAsync(context.CancellationToken);
                if (!context.Response.IsSuccessStatusCode)
                {
                    return CommandResults.Failure($"Auth answered {(int)context.Response.StatusCode}: {body}");
                }

                using var key = JsonDocument.Parse(body);
                return CommandResults.Success(
                    $"Added {key.RootElement.GetProperty("kid").GetString()}, signing from {key.RootElement.GetProperty("activatesAt").GetString()}.");
            },
        });

    private static async Task<string> OperatorTokenAsync(HttpClient http, Uri auth, OperatorSecret.Credentials credentials, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(auth, "/connect/token"))
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["grant_type"] = "client_credentials",
                ["scope"] = "syncengine.admin",
            }),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue(
            "Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{Uri.EscapeDataString(credentials.ClientId)}:{Uri.EscapeDataString(credentials.Secret)}")));
        using var response = await http.SendAsync(request, ct);
        response.EnsureSuccessStatusCode();
        using var token = JsonDocument.Parse(await response.Content.ReadAsStringAsync(ct));
        return token.RootElement.GetProperty("access_token").GetString()!;
    }
}
