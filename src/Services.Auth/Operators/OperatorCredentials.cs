using System.Security.Cryptography;
using System.Text;

namespace Services.Auth.Operators;

/// <summary>
/// The operator client Auth accepts (section <c>Operator</c>): <c>ClientId</c> (default <c>operator</c>) and
/// <c>SecretHash</c>, the hex SHA-256 of its secret. Auth never stores the secret; a hand-run setup may give
/// <c>Operator:Secret</c> instead, hashed here at start. The secret is 256 random bits (the AppHost generates it), so a
/// fast hash is enough: there is nothing to guess a password from. With neither set, every request is refused.
/// </summary>
public sealed class OperatorCredentials
{
    public const string DefaultClientId = "operator";

    private readonly byte[]? _secretHash;

    public OperatorCredentials(string clientId, byte[]? secretHash)
    {
        ClientId = clientId;
        _secretHash = secretHash;
    }

    public string ClientId { get; }

    public bool Configured => _secretHash is not null;

    public static OperatorCredentials FromConfiguration(IConfiguration configuration)
    {
        var clientId = configuration["Operator:ClientId"] is { Length: > 0 } id ? id : DefaultClientId;
        var hash = configuration["Operator:SecretHash"] is { Length: > 0 } hex ? Convert.FromHexString(hex)
            : configuration["Operator:Secret"] is { Length: > 0 } secret ? Hash(secret)
            : null;
        if (hash is { Length: not 32 })
        {
            throw new InvalidOperationException("Operator:SecretHash must be the hex SHA-256 of the operator secret (64 hex digits).");
        }

        return new OperatorCredentials(clientId, hash);
    }

    public static byte[] Hash(string secret) => SHA256.HashData(Encoding.UTF8.GetBytes(secret));

    /// <summary>In constant time, so the time an answer takes says nothing about how much of the secret was right.</summary>
    public bool Accepts(string clientId, string secret) =>
        _secretHash is not null
        // Both compared, whichever fails, so a wrong client id answers in the same time as a wrong secret.
        & CryptographicOperations.FixedTimeEquals(Hash(clientId), Hash(ClientId))
        & CryptographicOperations.FixedTimeEquals(Hash(secret), _secretHash ?? new byte[32]);
}
