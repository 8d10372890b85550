namespace NativeAotPersistence.Tests.Conformance;

/// <summary>The circuit-breaker state contract, the same on every backend.</summary>
public abstract class CircuitBreakerConformance<TBackend> : ConformanceTests<TBackend>
    where TBackend : Backend, new()
{
    [Fact]
    public async Task GetState_NeverStored_IsNull()
    {
        var p = await OpenAsync();
        Assert.Null(await p.CircuitBreakers.GetStateAsync("payments", Ct));
    }

    [Fact]
    public async Task SetState_RoundTrips_WithMillisecondTimes()
    {
        var p = await OpenAsync();
        var failure = new DateTimeOffset(2025, 1, 2, 3, 4, 5, TimeSpan.FromHours(3)).AddTicks(1_234_567);
        var success = new DateTimeOffset(2025, 1, 2, 3, 4, 6, TimeSpan.Zero).AddTicks(9_999);
        foreach (var state in new[] { CircuitState.Closed, CircuitState.Open, CircuitState.HalfOpen })
        {
            await p.CircuitBreakers.SetStateAsync("c", new CircuitBreakerPersistedState(state, 7, failure, success), Ct);
            var read = await p.CircuitBreakers.GetStateAsync("c", Ct);
            Assert.Equal(new CircuitBreakerPersistedState(state, 7, Truncate(failure), Truncate(success)), read);
            Assert.Equal(TimeSpan.Zero, read!.LastFailureTime!.Value.Offset);
        }

        await p.CircuitBreakers.SetStateAsync("c", new CircuitBreakerPersistedState(CircuitState.Closed, 0), Ct);
        Assert.Equal(new CircuitBreakerPersistedState(CircuitState.Closed, 0), await p.CircuitBreakers.GetStateAsync("c", Ct));
    }

    [Fact]
    public async Task RecordFailure_CountsAndOpensAtThreshold_AndKeepsCounting()
    {
        var p = await OpenAsync();
        Assert.Equal(1, await p.CircuitBreakers.RecordFailureAsync("c", 3, Ct));
        Assert.Equal(new CircuitBreakerPersistedState(CircuitState.Closed, 1, Conformance.Backend.Start), await p.CircuitBreakers.GetStateAsync("c", Ct));
        Advance(10);
        Assert.Equal(2, await p.CircuitBreakers.RecordFailureAsync("c", 3, Ct));
        Assert.Equal(CircuitState.Closed, (await p.CircuitBreakers.GetStateAsync("c", Ct))!.State);
        Advance(10);
        Assert.Equal(3, await p.CircuitBreakers.RecordFailureAsync("c", 3, Ct));
        Assert.Equal(new CircuitBreakerPersistedState(CircuitState.Open, 3, Conformance.Backend.Start.AddMilliseconds(20)), await p.CircuitBreakers.GetStateAsync("c", Ct));
        Advance(10);
        Assert.Equal(4, await p.CircuitBreakers.RecordFailureAsync("c", 3, Ct));
        Assert.Equal(new CircuitBreakerPersistedState(CircuitState.Open, 4, Conformance.Backend.Start.AddMilliseconds(30)), await p.CircuitBreakers.GetStateAsync("c", Ct));
    }

    [Fact]
    public async Task RecordFailure_WithMaxOne_OpensAtOnce()
    {
        var p = await OpenAsync();
        Assert.Equal(1, await p.CircuitBreakers.RecordFailureAsync("c", 1, Ct));
        Assert.Equal(CircuitState.Open, (await p.CircuitBreakers.GetStateAsync("c", Ct))!.State);
    }

    [Fact]
    public async Task RecordFailure_BelowThreshold_KeepsStoredState()
    {
        var p = await OpenAsync();
        await p.CircuitBreakers.SetStateAsync("c", new CircuitBreakerPersistedState(CircuitState.HalfOpen, 0, null, Conformance.Backend.Start), Ct);
        Assert.Equal(1, await p.CircuitBreakers.RecordFailureAsync("c", 5, Ct));
        Assert.Equal(new CircuitBreakerPersistedState(CircuitState.HalfOpen, 1, Conformance.Backend.Start, Conformance.Backend.Start), await p.CircuitBreakers.GetStateAsync("c", Ct));
        await p.CircuitBreakers.SetStateAsync("o", new CircuitBreakerPersistedState(CircuitState.Open, 0), Ct);
        Assert.Equal(1, await p.CircuitBreakers.RecordFailureAsync("o", 5, Ct));
        Assert.Equal(CircuitState.Open, (await p.CircuitBreakers.GetStateAsync("o", Ct))!.State);
    }

    [Fact]
    public async Task RecordSuccess_KeepsLastFailureTime()
    {
        var p = await OpenAsync();
        await p.CircuitBreakers.RecordFailureAsync("c", 1, Ct);
        Advance(1234);
        await p.CircuitBreakers.RecordSuccessAsync("c", Ct);
        Assert.Equal(
            new CircuitBreakerPersistedState(CircuitState.Closed, 0, Conformance.Backend.Start, Conformance.Backend.Start.AddMilliseconds(1234)),
            await p.CircuitBreakers.GetStateAsync("c", Ct));
    }

    [Fact]
    public async Task RecordSuccess_OnNewKey_StoresClosed()
    {
        var p = await OpenAsync();
        Advance(5);
        await p.CircuitBreakers.RecordSuccessAsync("c", Ct);
        Assert.Equal(new CircuitBreakerPersistedState(CircuitState.Closed, 0, null, Conformance.Backend.Start.AddMilliseconds(5)), await p.CircuitBreakers.GetStateAsync("c", Ct));
        Assert.Equal(1, await p.CircuitBreakers.RecordFailureAsync("c", 2, Ct));
    }

    [Fact]
    public async Task RecordFailure_IsAtomic_UnderConcurrency()
    {
        var a = await OpenAsync("cb:");
        var adapters = new List<IPersistenceAdapter> { a };
        if (Backend.SupportsSecondAdapter)
        {
            adapters.Add(await Backend.OpenAsync(Backend.Options("cb:")));
        }

        var results = new int[8][];
        await Task.WhenAll(Enumerable.Range(0, 8).Select(t => Task.Run(async () =>
        {
            var circuits = adapters[t % adapters.Count].CircuitBreakers;
            results[t] = new int[1000];
            for (var i = 0; i < 1000; i++)
            {
                results[t][i] = await circuits.RecordFailureAsync("hot", 5, Ct);
            }
        }, Ct)));

        var state = await a.CircuitBreakers.GetStateAsync("hot", Ct);
        Assert.Equal(8000, state!.FailureCount);
        Assert.Equal(CircuitState.Open, state.State);

        // Every call saw its own count: the returned values are exactly 1..8000.
        Assert.Equal(Enumerable.Range(1, 8000), results.SelectMany(r => r).Order());
    }

    [Fact]
    public async Task UnknownState_IsPayloadFormatException()
    {
        var p = await OpenAsync("p:");
        await Backend.PutRawCircuitStateAsync(p, "c", "banana");
        var e = await Assert.ThrowsAsync<PayloadFormatException>(async () => await p.CircuitBreakers.GetStateAsync("c", Ct));
        Assert.Equal("c", e.Key);
        Assert.Equal(typeof(CircuitBreakerPersistedState), e.PayloadType);
        Assert.Contains("banana", e.Message, StringComparison.Ordinal);

        await Backend.PutRawCircuitStateAsync(p, "upper", "OPEN");
        await Assert.ThrowsAsync<PayloadFormatException>(async () => await p.CircuitBreakers.GetStateAsync("upper", Ct));
    }

    [Fact]
    public async Task Arguments_AreValidated()
    {
        var p = await OpenAsync();
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await p.CircuitBreakers.RecordFailureAsync("c", 0, Ct));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await p.CircuitBreakers.RecordFailureAsync("c", -1, Ct));
        await Assert.ThrowsAsync<ArgumentNullException>(async () => await p.CircuitBreakers.SetStateAsync("c", null!, Ct));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await p.CircuitBreakers.SetStateAsync("c", new CircuitBreakerPersistedState(CircuitState.Closed, -1), Ct));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await p.CircuitBreakers.SetStateAsync("c", new CircuitBreakerPersistedState((CircuitState)42, 0), Ct));
        foreach (var bad in new[] { null, "", "x\uDBFF" })
        {
            await Assert.ThrowsAnyAsync<ArgumentException>(async () => await p.CircuitBreakers.GetStateAsync(bad!, Ct));
            await Assert.ThrowsAnyAsync<ArgumentException>(async () => await p.CircuitBreakers.SetStateAsync(bad!, new CircuitBreakerPersistedState(CircuitState.Open, 1), Ct));
            await Assert.ThrowsAnyAsync<ArgumentException>(async () => await p.CircuitBreakers.RecordFailureAsync(bad!, 3, Ct));
            await Assert.ThrowsAnyAsync<ArgumentException>(async () => await p.CircuitBreakers.RecordSuccessAsync(bad!, Ct));
        }

        Assert.Null(await p.CircuitBreakers.GetStateAsync("c", Ct));
    }

    private static DateTimeOffset Truncate(DateTimeOffset time) =>
        DateTimeOffset.FromUnixTimeMilliseconds(time.ToUnixTimeMilliseconds());
}
