using Marten;
using Microsoft.IdentityModel.Protocols;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Microsoft.IdentityModel.Tokens;

namespace Services.Auth.Keys;

/// <summary>
/// The signing keys, loaded from the <c>auth</c> schema and reloaded every <c>Auth:KeyReloadEvery</c> (default a minute),
/// so every Auth replica sees a rotation made by the keys command. Also Auth's own source of validation keys: it checks
/// its tokens against the ring directly, not over HTTP. Private parts are sealed with <see cref="KeyEncryptionKey"/>
/// before they are stored and unsealed as they are loaded; a row still stored in plain (written before keys were
/// sealed) is sealed the first time any Auth process loads it.
/// </summary>
public sealed class SigningKeyRing(
    IDocumentStore store, KeyEncryptionKey encryption, TimeProvider clock, IConfiguration configuration, ILogger<SigningKeyRing> logger)
    : IConfigurationManager<OpenIdConnectConfiguration>
{
    private readonly KeyReloadGate _gate = new(clock, configuration.GetValue("Auth:KeyReloadEvery", TimeSpan.FromMinutes(1)));

    public async Task<IReadOnlyList<SigningKey>> PublishedAsync(CancellationToken ct) =>
        KeySelection.Published(await KeysAsync(ct), clock.GetUtcNow());

    public Task<IReadOnlyList<SigningKey>> AllAsync(CancellationToken ct) => KeysAsync(ct, force: true);

    public async Task<SigningCredentials> SigningCredentialsAsync(CancellationToken ct)
    {
        var key = KeySelection.Signing(await KeysAsync(ct), clock.GetUtcNow())
            ?? KeySelection.Signing(await KeysAsync(ct, force: true), clock.GetUtcNow())
            ?? throw new InvalidOperationException("No active signing key; the key ring was not initialised.");
        return new SigningCredentials(key.PrivateSecurityKey(), SecurityAlgorithms.EcdsaSha256);
    }

    /// <summary>Creates the first key when there is none. Two replicas racing both add one: harmless, both are published.</summary>
    public async Task EnsureKeyAsync(CancellationToken ct)
    {
        if ((await KeysAsync(ct, force: true)).Count > 0)
        {
            return;
        }

        var now = clock.GetUtcNow();
        await AddKeyAsync(activatesAt: now, ct);
        logger.LogInformation("Created the first signing key");
    }

    /// <summary>Adds a key, published at once and signing from <paramref name="activatesAt"/> (give validators time to fetch it).</summary>
    public async Task<SigningKey> AddKeyAsync(DateTimeOffset activatesAt, CancellationToken ct)
    {
        var key = SigningKey.Generate(clock.GetUtcNow(), activatesAt);
        await using var session = store.LightweightSession();
        session.Insert(key.Sealed(encryption));
        await session.SaveChangesAsync(ct);
        await KeysAsync(ct, force: true);
        return key;
    }

    /// <summary>
    /// Stops publishing a key at <paramref name="at"/>: tokens it signed are refused from then on. Refused (with why) when
    /// no other key would sign then.
    /// </summary>
    public async Task RetireKeyAsync(string keyId, DateTimeOffset at, CancellationToken ct)
    {
        if (KeySelection.RefuseRetirement(await KeysAsync(ct, force: true), keyId, at) is { } refusal)
        {
            throw new InvalidOperationException(refusal);
        }

        await using var session = store.LightweightSession();
        var key = await session.LoadAsync<SigningKey>(keyId, ct) ?? throw new InvalidOperationException($"There is no signing key {keyId}.");
        key.RetiredAt = at;
        session.Update(key.StoredInPlain ? key.Sealed(encryption) : key);
        await session.SaveChangesAsync(ct);
        await KeysAsync(ct, force: true);
    }

    public async Task<OpenIdConnectConfiguration> GetConfigurationAsync(CancellationToken cancel)
    {
        var configuration = new OpenIdConnectConfiguration();
        foreach (var key in await PublishedAsync(cancel))
        {
            configuration.SigningKeys.Add(key.PublicSecurityKey());
        }

        return configuration;
    }

    /// <summary>JwtBearer met an unknown kid: reload soon, but not once per such token (<see cref="KeyReloadGate"/>).</summary>
    public void RequestRefresh() => _gate.RequestRefresh();

    private Task<IReadOnlyList<SigningKey>> KeysAsync(CancellationToken ct, bool force = false) => _gate.KeysAsync(LoadAsync, force, ct);

    private async Task<IReadOnlyList<SigningKey>> LoadAsync(CancellationToken ct)
    {
        await using var session = store.LightweightSession();
        var stored = await session.Query<SigningKey>().ToListAsync(ct);
        var plain = stored.Where(k => k.StoredInPlain && k.PrivateKeyPkcs8.Length > 0).ToList();
        if (plain.Count > 0)
        {
            // Two processes sealing the same row both write a valid sealed copy; the last one stays.
            foreach (var key in plain)
            {
                session.Update(key.Sealed(encryption));
            }

            await session.SaveChangesAsync(ct);
            logger.LogWarning("Encrypted {Count} signing key(s) that were stored in plain: {KeyIds}", plain.Count, string.Join(", ", plain.Select(k => k.Id)));
        }

        return stored.Select(k => k.Unsealed(encryption)).ToList();
    }
}

/// <summary>Makes sure a key exists before the service takes requests.</summary>
public sealed class SigningKeyInitializer(SigningKeyRing ring) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => ring.EnsureKeyAsync(cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
