namespace NativeAotPersistence.Tests.Conformance;

/// <summary>
/// What the circuit-breaker contract promises between adapters on one store (other processes, other prefixes): run on
/// every backend where a second adapter can open the same database, so not on SQLite <c>:memory:</c>.
/// </summary>
public abstract class CircuitBreakerSharedStoreConformance<TBackend> : CircuitBreakerConformance<TBackend>
    where TBackend : Backend, new()
{
    [Fact]
    public async Task Circuits_DoNotLeakAcrossPrefixes()
    {
        var a = await OpenAsync("svc_");
        var b = await OpenSecondAsync("svc%");
        await a.CircuitBreakers.RecordFailureAsync("db", 10, Ct);
        await a.CircuitBreakers.RecordFailureAsync("db", 10, Ct);
        Assert.Equal(1, await b.CircuitBreakers.RecordFailureAsync("db", 10, Ct));
        Assert.Equal(2, (await a.CircuitBreakers.GetStateAsync("db", Ct))!.FailureCount);
        await b.CircuitBreakers.RecordSuccessAsync("db", Ct);
        Assert.Equal(2, (await a.CircuitBreakers.GetStateAsync("db", Ct))!.FailureCount);
    }

    [Fact]
    public async Task SharedCircuit_IsSeenByEveryAdapterOnTheDatabase()
    {
        var a = await OpenAsync("x:");
        var b = await OpenSecondAsync("x:");
        await a.CircuitBreakers.RecordFailureAsync("db", 2, Ct);
        Assert.Equal(2, await b.CircuitBreakers.RecordFailureAsync("db", 2, Ct));
        Assert.Equal(CircuitState.Open, (await a.CircuitBreakers.GetStateAsync("db", Ct))!.State);
    }
}
