using System.Security.Cryptography;
using Services.Auth.Keys;
using Xunit;

namespace Services.Auth.Tests;

/// <summary>Signing keys are sealed with a secret kept outside the database; the wrong secret fails by name.</summary>
public sealed class KeyEncryptionKeyTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 26, 12, 0, 0, TimeSpan.Zero);
    private readonly KeyEncryptionKey _secret = KeyEncryptionKey.Parse(KeyEncryptionKey.Generate());

    [Fact]
    public void a_sealed_key_unseals_to_the_same_private_key_and_stores_nothing_in_plain()
    {
        var key = SigningKey.Generate(Now, Now);

        var stored = key.Sealed(_secret);
        var restored = stored.Unsealed(_secret);

        Assert.Empty(stored.PrivateKeyPkcs8);
        Assert.False(stored.StoredInPlain);
        Assert.Equal(_secret.Fingerprint, stored.SealedWith);
        Assert.Equal(key.PrivateKeyPkcs8, restored.PrivateKeyPkcs8);
        Assert.Equal((key.Id, key.CreatedAt, key.ActivatesAt), (restored.Id, restored.CreatedAt, restored.ActivatesAt));
    }

    [Fact]
    public void sealed_bytes_are_not_a_usable_key_and_do_not_contain_the_plain_one()
    {
        var key = SigningKey.Generate(Now, Now);

        var sealedBytes = key.Sealed(_secret).SealedPrivateKey;

        Assert.ThrowsAny<CryptographicException>(() => ECDsa.Create().ImportPkcs8PrivateKey(sealedBytes, out _));
        Assert.Equal(-1, sealedBytes.AsSpan().IndexOf(key.PrivateKeyPkcs8));
        using var ecdsa = ECDsa.Create();
        ecdsa.ImportPkcs8PrivateKey(key.PrivateKeyPkcs8, out _);
        Assert.Equal(-1, sealedBytes.AsSpan().IndexOf(ecdsa.ExportParameters(includePrivateParameters: true).D));
    }

    [Fact]
    public void the_wrong_secret_fails_naming_the_setting_and_both_fingerprints()
    {
        var stored = SigningKey.Generate(Now, Now).Sealed(_secret);
        var other = KeyEncryptionKey.Parse(KeyEncryptionKey.Generate());

        var refused = Assert.Throws<InvalidOperationException>(() => stored.Unsealed(other));

        Assert.Contains(KeyEncryptionKey.Setting, refused.Message);
        Assert.Contains(_secret.Fingerprint, refused.Message);
        Assert.Contains(other.Fingerprint, refused.Message);
    }

    [Fact]
    public void altered_bytes_or_another_keys_id_do_not_unseal()
    {
        var stored = SigningKey.Generate(Now, Now).Sealed(_secret);
        stored.SealedPrivateKey[^1] ^= 1;
        Assert.Contains("altered", Assert.Throws<InvalidOperationException>(() => stored.Unsealed(_secret)).Message);

        var swapped = SigningKey.Generate(Now, Now).Sealed(_secret);
        swapped.Id = SigningKey.Generate(Now, Now).Id;
        Assert.Throws<InvalidOperationException>(() => swapped.Unsealed(_secret));
    }

    [Fact]
    public void a_key_stored_in_plain_before_sealing_still_loads_and_is_recognised_as_such()
    {
        var legacy = SigningKey.Generate(Now, Now);

        Assert.True(legacy.StoredInPlain);
        Assert.Same(legacy, legacy.Unsealed(_secret));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("not base64!")]
    [InlineData("c2hvcnQ=")]
    public void a_missing_or_malformed_secret_is_refused_naming_the_setting(string? value)
    {
        var refused = Assert.Throws<InvalidOperationException>(() => KeyEncryptionKey.Parse(value));

        Assert.Contains(KeyEncryptionKey.Setting, refused.Message);
    }
}
