using Services.Sync.Changes;
using Services.Sync.Replicas;
using Xunit;

namespace Services.Sync.Tests;

/// <summary>Which address a replica advertises to the gateway (ReplicaRegistry.AddressToAdvertise).</summary>
public sealed class ReplicaAddressTests
{
    [Fact]
    public void a_configured_address_is_advertised_as_scheme_host_and_port() =>
        Assert.Equal("http://sync-1.internal:8080",
            ReplicaRegistry.AddressToAdvertise(new SyncOptions { AdvertisedAddress = "http://sync-1.internal:8080/" }, ["http://localhost:5000"]));

    [Theory]
    [InlineData("sync-1:8080")]
    [InlineData("ftp://sync-1:8080")]
    [InlineData("/sync")]
    public void a_configured_address_that_is_not_absolute_http_fails_the_replicas_start_naming_it(string configured)
    {
        var result = new AdvertisedAddressValidation().Validate(null, new SyncOptions { AdvertisedAddress = configured });

        Assert.True(result.Failed);
        Assert.Contains($"Sync:AdvertisedAddress '{configured}'", result.FailureMessage, StringComparison.Ordinal);
        Assert.Throws<InvalidOperationException>(() => ReplicaRegistry.AddressToAdvertise(new SyncOptions { AdvertisedAddress = configured }, []));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("https://sync-1.internal")]
    public void an_unset_or_http_address_passes(string? configured) =>
        Assert.True(new AdvertisedAddressValidation().Validate(null, new SyncOptions { AdvertisedAddress = configured }).Succeeded);

    [Fact]
    public void nothing_is_advertised_unless_asked() =>
        Assert.Null(ReplicaRegistry.AddressToAdvertise(new SyncOptions(), ["http://localhost:5000"]));

    [Fact]
    public void the_listening_address_is_advertised_when_asked_the_first_plain_http_one() =>
        Assert.Equal("http://localhost:41234",
            ReplicaRegistry.AddressToAdvertise(new SyncOptions { AdvertiseListenAddress = true }, ["https://localhost:41235", "http://localhost:41234"]));

    [Theory]
    [InlineData("http://+:8080")]
    [InlineData("http://*:8080")]
    [InlineData("http://0.0.0.0:8080")]
    [InlineData("http://[::]:8080")]
    public void a_wildcard_listening_address_names_no_host_and_is_not_advertised(string listening) =>
        Assert.Null(ReplicaRegistry.AddressToAdvertise(new SyncOptions { AdvertiseListenAddress = true }, [listening]));
}
