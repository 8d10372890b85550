using Polly;

namespace NativeAotPersistence;

#pragma warning disable CA1815 // Polly's callback arguments are not compared either.

/// <summary>The arguments of <see cref="PersistentCircuitBreakerOptions{TResult}.OnStateChanged"/>.</summary>
public readonly struct OnPersistentCircuitStateChangedArguments
{
    /// <summary>Initializes a new instance.</summary>
    /// <param name="context">The context of the execution that caused or observed the transition.</param>
    /// <param name="transition">The transition.</param>
    public OnPersistentCircuitStateChangedArguments(ResilienceContext context, CircuitBreakerTransition transition)
    {
        Context = context;
        Transition = transition;
    }

    /// <summary>Gets the context of the execution that caused or observed the transition.</summary>
    public ResilienceContext Context { get; }

    /// <summary>Gets the breaker's key, the states before and after, and when this process saw it.</summary>
    public CircuitBreakerTransition Transition { get; }
}
