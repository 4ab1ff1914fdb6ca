using Services.Auth.Keys;
using Xunit;

namespace Services.Auth.Tests;

public sealed class KeySelectionTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 26, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void the_newest_active_key_signs_and_every_unretired_key_is_published()
    {
        var old = SigningKey.Generate(Now.AddDays(-30), Now.AddDays(-30));
        var current = SigningKey.Generate(Now.AddDays(-1), Now.AddDays(-1));

        Assert.Equal(current.Id, KeySelection.Signing([old, current], Now)!.Id);
        Assert.Equal([old.Id, current.Id], KeySelection.Published([old, current], Now).Select(k => k.Id));
    }

    [Fact]
    public void a_new_key_is_published_before_it_signs()
    {
        var current = SigningKey.Generate(Now.AddDays(-1), Now.AddDays(-1));
        var next = SigningKey.Generate(Now, Now.AddMinutes(15));

        Assert.Equal(current.Id, KeySelection.Signing([current, next], Now)!.Id);
        Assert.Contains(KeySelection.Published([current, next], Now), k => k.Id == next.Id);
        Assert.Equal(next.Id, KeySelection.Signing([current, next], Now.AddMinutes(16))!.Id);
    }

    [Fact]
    public void a_retired_key_is_neither_published_nor_used()
    {
        var retired = SigningKey.Generate(Now.AddDays(-30), Now.AddDays(-30));
        retired.RetiredAt = Now.AddSeconds(-1);
        var current = SigningKey.Generate(Now.AddDays(-1), Now.AddDays(-1));

        Assert.DoesNotContain(KeySelection.Published([retired, current], Now), k => k.Id == retired.Id);
        Assert.Equal(current.Id, KeySelection.Signing([retired, current], Now)!.Id);
        Assert.Null(KeySelection.Signing([retired], Now));
    }

    [Fact]
    public void a_published_key_exposes_no_private_part()
    {
        var key = SigningKey.Generate(Now, Now);

        var publicKey = key.PublicSecurityKey();

        Assert.Equal(key.Id, publicKey.KeyId);
        Assert.Throws<System.Security.Cryptography.CryptographicException>(() => publicKey.ECDsa.ExportParameters(includePrivateParameters: true));
    }

    [Fact]
    public void key_ids_are_lowercase_hex_so_the_keys_command_can_always_name_them()
    {
        var ids = Enumerable.Range(0, 500).Select(_ => SigningKey.Generate(Now, Now).Id).ToList();

        Assert.All(ids, id => Assert.Matches("^[0-9a-f]{24}$", id));
        Assert.Equal(ids.Count, ids.Distinct().Count());
    }

    [Fact]
    public void the_only_key_that_signs_cannot_be_retired_until_another_signs()
    {
        var current = SigningKey.Generate(Now.AddDays(-1), Now.AddDays(-1));
        var next = SigningKey.Generate(Now, Now.AddMinutes(15));

        Assert.Contains("only one that can sign", KeySelection.RefuseRetirement([current], current.Id, Now));
        Assert.Contains(next.Id, KeySelection.RefuseRetirement([current, next], current.Id, Now));
        Assert.Null(KeySelection.RefuseRetirement([current, next], current.Id, Now.AddMinutes(16)));
        Assert.Null(KeySelection.RefuseRetirement([current, next], next.Id, Now));
        Assert.Contains("no signing key", KeySelection.RefuseRetirement([current], "nope", Now));
    }
}
