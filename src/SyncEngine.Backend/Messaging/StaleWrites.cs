using JasperFx;
using Marten.Exceptions;
using Microsoft.AspNetCore.Mvc;
using SyncEngine.ServiceDefaults.Problems;

namespace SyncEngine.Backend.Messaging;

/// <summary>
/// A write Marten refused because another changed the stream or document first is the client's to retry: 409
/// <c>conflict</c>, not a 500. Registered as a <see cref="ClientFault"/> by <see cref="MessagingDefaults.AddServiceStore"/>.
/// </summary>
public static class StaleWrites
{
    public static ProblemDetails? ProblemOf(Exception exception) => exception switch
    {
        ConcurrencyException or ExistingStreamIdCollisionException => Conflict(),
        // Marten reports several stale documents of one SaveChanges together (a revoke touching two grants).
        AggregateException { InnerExceptions: var inner } when inner.Count > 0
            && inner.All(e => e is ConcurrencyException or ExistingStreamIdCollisionException) => Conflict(),
        _ => null,
    };

    private static ProblemDetails Conflict() =>
        Problem.Create(409, ProblemCodes.Conflict, "A concurrent write changed this resource first; read it again and retry.");
}
