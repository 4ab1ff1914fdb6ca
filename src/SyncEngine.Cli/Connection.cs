using System.CommandLine;
using Duende.IdentityModel.Client;
using SyncEngine.Client;

namespace SyncEngine.Cli;

/// <summary>
/// Where the deployment is and who the operator is: options on every command, each defaulting to an environment
/// variable so scripts set them once (<c>SYNCENGINE_URL</c>, <c>SYNCENGINE_CLIENT_ID</c>, <c>SYNCENGINE_CLIENT_SECRET</c>).
/// </summary>
public static class Connection
{
    public const string UrlVariable = "SYNCENGINE_URL";
    public const string ClientIdVariable = "SYNCENGINE_CLIENT_ID";
    public const string ClientSecretVariable = "SYNCENGINE_CLIENT_SECRET";

    public static readonly Option<string> Url = new("--url")
    {
        Description = $"The gateway's address (default ${UrlVariable}, else http://localhost:8080).",
        Recursive = true,
    };

    public static readonly Option<string> ClientId = new("--client-id")
    {
        Description = $"The operator client id (default ${ClientIdVariable}, else operator).",
        Recursive = true,
    };

    public static readonly Option<string> ClientSecret = new("--client-secret")
    {
        Description = $"The operator client secret (default ${ClientSecretVariable}; the AppHost prints it).",
        Recursive = true,
    };

    public static readonly Option<bool> Json = new("--json")
    {
        Description = "Print the API's JSON instead of a table, for scripts.",
        Recursive = true,
    };

    public static IEnumerable<Option> Options => [Url, ClientId, ClientSecret, Json];

    /// <summary>A client of the gateway with an operator token from Auth's <c>/connect/token</c> (client credentials).</summary>
    public static async Task<Operator> SignInAsync(ParseResult parse, CancellationToken ct)
    {
        var url = parse.GetValue(Url) ?? Environment.GetEnvironmentVariable(UrlVariable) ?? "http://localhost:8080";
        if (!Uri.TryCreate(url, UriKind.Absolute, out var gateway) || gateway.Scheme is not ("http" or "https"))
        {
            throw new CliException($"--url (or ${UrlVariable}) must be an absolute http(s) address, not '{url}'.");
        }

        var clientId = parse.GetValue(ClientId) ?? Environment.GetEnvironmentVariable(ClientIdVariable) ?? "operator";
        var secret = parse.GetValue(ClientSecret) ?? Environment.GetEnvironmentVariable(ClientSecretVariable);
        if (string.IsNullOrEmpty(secret))
        {
            throw new CliException(
                $"No operator secret: set ${ClientSecretVariable} or pass --client-secret (the AppHost prints it with its ready line).");
        }

        var http = new HttpClient { BaseAddress = gateway };
        TokenResponse token;
        try
        {
            token = await http.RequestClientCredentialsTokenAsync(new ClientCredentialsTokenRequest
            {
                Address = new Uri(gateway, "/connect/token").ToString(),
                ClientId = clientId,
                ClientSecret = secret,
                Scope = "syncengine.admin",
            }, ct);
        }
        catch (HttpRequestException e)
        {
            http.Dispose();
            throw new CliException($"Cannot reach {gateway}: {e.Message}");
        }

        if (token.ErrorType == ResponseErrorType.Exception)
        {
            http.Dispose();
            throw new CliException($"Cannot reach {gateway}: {token.Error}");
        }

        if (token.IsError || token.AccessToken is null)
        {
            http.Dispose();
            // Auth answers problem+json with the OAuth members beside our code; Duende reads `error`.
            throw new CliException(token.ErrorType == ResponseErrorType.Http && token.HttpStatusCode == System.Net.HttpStatusCode.Unauthorized
                || token.Error == "invalid_client"
                ? $"The operator credentials were refused (client '{clientId}'): check {ClientIdVariable} and {ClientSecretVariable}."
                : $"No operator token from {gateway}connect/token: {token.Error} {token.ErrorDescription}".TrimEnd());
        }

        return new Operator(new SyncEngineClient(http), token.AccessToken, parse.GetValue(Json));
    }
}

/// <summary>A signed-in operator: the client, its token, and how to print.</summary>
public sealed record Operator(SyncEngineClient Api, string Token, bool Json) : IDisposable
{
    public void Dispose() => Api.Http.Dispose();
}

/// <summary>A failure to report to the operator as one line, without a stack trace.</summary>
public sealed class CliException(string message) : Exception(message);
