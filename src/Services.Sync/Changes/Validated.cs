using System.Diagnostics.CodeAnalysis;
using Microsoft.AspNetCore.Mvc;

namespace Services.Sync.Changes;

/// <summary>What a sync route's Validate returns: the values it read from the request, or the problem that refuses it.</summary>
public abstract record Validated<T>
{
    private Validated() { }

    public sealed record Valid(T Value) : Validated<T>;

    public sealed record Invalid(ProblemDetails Problem) : Validated<T>;

    /// <summary>For the endpoint's early return: true with the problem, or false with the value.</summary>
    public bool IsInvalid([NotNullWhen(true)] out ProblemDetails? problem, [MaybeNullWhen(true)] out T value)
    {
        (problem, value) = this switch
        {
            Invalid invalid => (invalid.Problem, default(T)),
            _ => (null, ((Valid)this).Value),
        };
        return problem is not null;
    }
}

/// <summary>Shorthands for building a <see cref="Validated{T}"/>.</summary>
public static class Validated
{
    public static Validated<T> Valid<T>(T value) => new Validated<T>.Valid(value);

    public static Validated<T> Invalid<T>(ProblemDetails problem) => new Validated<T>.Invalid(problem);
}
