using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace SyncEngine.EndToEnd.Tests;

/// <summary>
/// An app's own identity provider, as far as SyncEngine sees it: an OIDC discovery document and a JWKS on
/// 127.0.0.1, and ES256 tokens signed with its keys. Started by the test, outside our system (so a fake is right).
/// </summary>
public sealed class TestIssuer : IAsyncDisposable
{
    private readonly HttpListener _listener = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _serving;
    private volatile IReadOnlyList<ECDsaSecurityKey> _keys = [NewKey()];

    private TestIssuer(int port)
    {
        Issuer = $"http://127.0.0.1:{port}";
        _listener.Prefixes.Add($"{Issuer}/");
        _listener.Start();
        _serving = ServeAsync();
    }

    public string Issuer { get; }

    /// <summary>How many times the JWKS was fetched: a refetch on an unknown key shows here.</summary>
    public int JwksFetches;

    public static TestIssuer Start()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        return new TestIssuer(port);
    }

    /// <summary>A new signing key, published beside the old ones; tokens are signed with it from now on.</summary>
    public void RotateKey() => _keys = [.. _keys, NewKey()];

    public string Issue(string audience, string? subject = "user-1", TimeSpan? lifetime = null, string? issuer = null, SecurityKey? key = null,
        string algorithm = SecurityAlgorithms.EcdsaSha256)
    {
        var now = DateTime.UtcNow;
        var expires = now + (lifetime ?? TimeSpan.FromMinutes(5));
        return new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = issuer ?? Issuer,
            Audience = audience,
            Claims = subject is null ? new Dictionary<string, object>() : new Dictionary<string, object> { ["sub"] = subject },
            IssuedAt = expires < now ? expires.AddMinutes(-5) : now,
            NotBefore = expires < now ? expires.AddMinutes(-5) : now,
            Expires = expires,
            SigningCredentials = new SigningCredentials(key ?? _keys[^1], algorithm),
        });
    }

    /// <summary>A token with <c>alg: none</c> and no signature.</summary>
    public string Unsigned(string audience)
    {
        static string Part(object value) => Base64UrlEncoder.Encode(JsonSerializer.SerializeToUtf8Bytes(value));
        var exp = DateTimeOffset.UtcNow.AddMinutes(5).ToUnixTimeSeconds();
        return $"{Part(new { alg = "none", typ = "JWT" })}.{Part(new { iss = Issuer, aud = audience, sub = "user-1", exp })}.";
    }

    /// <summary>A key the issuer never published.</summary>
    public static ECDsaSecurityKey NewKey() =>
        new(ECDsa.Create(ECCurve.NamedCurves.nistP256)) { KeyId = Guid.NewGuid().ToString("N") };

    private async Task ServeAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync().WaitAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or HttpListenerException or ObjectDisposedException)
            {
                return;
            }

            object? body = context.Request.Url?.AbsolutePath switch
            {
                "/.well-known/openid-configuration" => new Dictionary<string, object>
                {
                    ["issuer"] = Issuer,
                    ["jwks_uri"] = $"{Issuer}/jwks",
                    ["id_token_signing_alg_values_supported"] = new[] { "ES256" },
                },
                "/jwks" => Jwks(),
                _ => null,
            };
            context.Response.StatusCode = body is null ? 404 : 200;
            context.Response.ContentType = "application/json";
            var bytes = body is null ? [] : Encoding.UTF8.GetBytes(JsonSerializer.Serialize(body));
            await context.Response.OutputStream.WriteAsync(bytes);
            context.Response.Close();
        }
    }

    private object Jwks()
    {
        Interlocked.Increment(ref JwksFetches);
        return new
        {
            keys = _keys.Select(key =>
            {
                var jwk = JsonWebKeyConverter.ConvertFromECDsaSecurityKey(key);
                return new { kty = jwk.Kty, crv = jwk.Crv, x = jwk.X, y = jwk.Y, kid = key.KeyId, use = "sig", alg = "ES256" };
            }).ToArray(),
        };
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        try
        {
            await _serving;
        }
        catch (OperationCanceledException)
        {
        }

        _listener.Close();
        _stop.Dispose();
    }
}
