using SyncEngine.ServiceDefaults.Problems;
using Wolverine;
using Wolverine.ErrorHandling;

namespace SyncEngine.Backend.Messaging;

/// <summary>
/// A message whose handling failed because PostgreSQL could not be reached (<see cref="DatabaseOutage"/>: a restart, a
/// failover, a broken connection) is not at fault and is tried again until the database is back. Without a rule,
/// Wolverine moves a failing message to the dead letters at its first failure: a revocation handled while the database
/// restarted would then never reach that service's store (seen in the production topology's outage test, where the
/// move itself failed only because the database was still down). First a few retries in place, then one every few
/// seconds, scheduled, so the listener goes on with other messages meanwhile. Any other failure keeps Wolverine's rule.
/// </summary>
public static class DatabaseOutageRetries
{
    public static readonly TimeSpan[] Cooldowns = [TimeSpan.FromMilliseconds(250), TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2)];

    /// <summary>After the <see cref="Cooldowns"/>: about what a PostgreSQL restart takes (DatabaseOutage.RetryAfter).</summary>
    public static readonly TimeSpan RetryEvery = DatabaseOutage.RetryAfter;

    public static WolverineOptions RetryWhileDatabaseUnreachable(this WolverineOptions opts, TimeSpan[]? cooldowns = null, TimeSpan? retryEvery = null)
    {
        opts.Policies.OnException(DatabaseOutage.Is, "PostgreSQL could not be reached")
            .RetryWithCooldown(cooldowns ?? Cooldowns)
            .Then.ScheduleRetryIndefinitely(retryEvery ?? RetryEvery);
        return opts;
    }
}
