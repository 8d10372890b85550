namespace NativeAotPersistence;

/// <summary>The options of a persistent circuit breaker in a pipeline that handles any result type.</summary>
/// <remarks>Results and exceptions reach <see cref="PersistentCircuitBreakerOptions{TResult}.ShouldHandle"/> as <see cref="object"/>.</remarks>
public class PersistentCircuitBreakerOptions : PersistentCircuitBreakerOptions<object>
{
}
