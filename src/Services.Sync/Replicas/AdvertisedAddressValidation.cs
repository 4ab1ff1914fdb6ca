using Microsoft.Extensions.Options;
using Services.Sync.Changes;

namespace Services.Sync.Replicas;

/// <summary>
/// A wrong <c>Sync:AdvertisedAddress</c> stops the replica as it starts, naming the value, before it serves anything;
/// found only by the first heartbeat, it stopped a replica that had already started (and with exit code 0).
/// </summary>
public sealed class AdvertisedAddressValidation : IValidateOptions<SyncOptions>
{
    public ValidateOptionsResult Validate(string? name, SyncOptions options) =>
        ReplicaRegistry.AdvertisedAddressProblem(options.AdvertisedAddress) is { } problem
            ? ValidateOptionsResult.Fail(problem)
            : ValidateOptionsResult.Success;
}
