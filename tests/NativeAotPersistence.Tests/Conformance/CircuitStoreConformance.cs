namespace NativeAotPersistence.Tests.Conformance;

/// <summary>
/// The backend kit's circuit store (<see cref="ICircuitStore"/>, what the fleet circuit breaker runs on), the same on
/// every backend: one atomic read-modify-write of a circuit's row, with test-only rules.
/// </summary>
public abstract class CircuitStoreConformance<TBackend> : ConformanceTests<TBackend>
    where TBackend : Backend, new()
{
    protected static ICircuitStore Store(IPersistenceAdapter adapter) => Assert.IsAssignableFrom<ICircuitStore>(adapter.CircuitBreakers);

    /// <summary>The row's five fields, for comparing (the kit's row is a class without value equality).</summary>
    protected static (CircuitState, int, long?, long?, string?)? Fields(CircuitRow? row) =>
        row is null ? null : (row.State, row.FailureCount, row.LastFailureMs, row.LastSuccessMs, row.Fleet);

    /// <summary>Reads the stored row through the store (a rule that stores nothing).</summary>
    protected static async Task<(CircuitState, int, long?, long?, string?)?> ReadAsync(IPersistenceAdapter adapter, string key)
    {
        var look = new Recording(null);
        await Store(adapter).UpdateAsync(key, look, Ct);
        return Fields(look.Seen);
    }

    /// <summary>Stores <paramref name="row"/> whatever was there.</summary>
    protected static ValueTask WriteAsync(IPersistenceAdapter adapter, string key, CircuitRow row) =>
        Store(adapter).UpdateAsync(key, new Recording(row), Ct);

    [Fact]
    public async Task AFreshKey_IsPassedAsNull_AndARuleThatStoresNothing_LeavesItAbsent()
    {
        var p = await OpenAsync("cs:");
        var rule = new Recording(null);
        await Store(p).UpdateAsync("fresh", rule, Ct);
        Assert.Equal(1, rule.Runs);
        Assert.Null(rule.Seen);
        Assert.Equal(NowMs, rule.Now);
        Assert.Null(await p.CircuitBreakers.GetStateAsync("fresh", Ct));
        Assert.Empty(await Backend.StoredKeysAsync(p, "go_goscope_circuit"));
        Assert.Empty(await p.Admin.ListCircuitsAsync(Ct));
    }

    [Fact]
    public async Task TheRow_RoundTripsAllFiveFields_NullTimesAndNullFleetIncluded()
    {
        var p = await OpenAsync();
        (CircuitState, int, long?, long?, string?)[] rows =
        [
            (CircuitState.HalfOpen, 7, 1_700_000_000_123, 1_700_000_000_456, "v1;trials=2;opened=3"),
            (CircuitState.Open, 0, null, null, null),
            (CircuitState.Closed, int.MaxValue, 0, null, ""),
            (CircuitState.Open, 3, null, 253_402_300_799_999, "ünïcode ✓ \u0001"),
        ];
        foreach (var (state, failures, lastFailure, lastSuccess, fleet) in rows)
        {
            await WriteAsync(p, "c", new CircuitRow { State = state, FailureCount = failures, LastFailureMs = lastFailure, LastSuccessMs = lastSuccess, Fleet = fleet });
            Assert.Equal((state, failures, lastFailure, lastSuccess, fleet), await ReadAsync(p, "c"));

            // The contract API reads the same row.
            Assert.Equal(
                new CircuitBreakerPersistedState(state, failures, lastFailure is { } f ? DateTimeOffset.FromUnixTimeMilliseconds(f) : null, lastSuccess is { } s ? DateTimeOffset.FromUnixTimeMilliseconds(s) : null),
                await p.CircuitBreakers.GetStateAsync("c", Ct));
        }

        // A row the contract API wrote reads back with no fleet state.
        await p.CircuitBreakers.SetStateAsync("api", new CircuitBreakerPersistedState(CircuitState.Open, 2, Conformance.Backend.Start), Ct);
        Assert.Equal((CircuitState.Open, 2, Conformance.Backend.Start.ToUnixTimeMilliseconds(), (long?)null, (string?)null), await ReadAsync(p, "api"));
    }

    [Fact]
    public async Task ARuleThatReturnsNull_LeavesTheRowUntouched_UpdatedAtIncluded()
    {
        var p = await OpenAsync();
        await WriteAsync(p, "c", new CircuitRow { State = CircuitState.Open, FailureCount = 4, LastFailureMs = 10, Fleet = "kept" });
        var written = Assert.Single(await p.Admin.ListCircuitsAsync(Ct));
        Assert.Equal(Conformance.Backend.Start, written.UpdatedAt);

        Advance(5000);
        var rule = new Recording(null);
        await Store(p).UpdateAsync("c", rule, Ct);
        Assert.Equal((CircuitState.Open, 4, 10L, (long?)null, "kept"), Fields(rule.Seen));
        Assert.Equal(written, Assert.Single(await p.Admin.ListCircuitsAsync(Ct)));
        Assert.Equal((CircuitState.Open, 4, 10L, (long?)null, "kept"), await ReadAsync(p, "c"));
    }

    [Fact]
    public async Task TheClock_IsTheAdapters_ReadForEachUpdate_AndStampsTheRow()
    {
        var p = await OpenAsync();
        Assert.Same(Time, Store(p).Time);
        var rule = new Recording(new CircuitRow { State = CircuitState.Closed });
        await Store(p).UpdateAsync("c", rule, Ct);
        Assert.Equal(Conformance.Backend.Start.ToUnixTimeMilliseconds(), rule.Now);

        Advance(1234.5);
        await Store(p).UpdateAsync("c", rule, Ct);
        Assert.Equal(Conformance.Backend.Start.ToUnixTimeMilliseconds() + 1234, rule.Now);
        Assert.Equal(Conformance.Backend.Start.AddMilliseconds(1234), Assert.Single(await p.Admin.ListCircuitsAsync(Ct)).UpdatedAt);
    }

    [Fact]
    public async Task ConcurrentUpdatesFromSeveralTasks_AddExactlyN_AndEachSawItsOwnCount()
    {
        var p = await OpenAsync("n:");
        await UpdateConcurrentlyAsync([p], tasks: 8, each: 100);
    }

    [Fact]
    public async Task ARuleThatThrows_LeavesTheRowUntouched_AndTheExceptionReachesTheCaller()
    {
        var p = await OpenAsync();
        await WriteAsync(p, "c", new CircuitRow { State = CircuitState.HalfOpen, FailureCount = 1, LastSuccessMs = 99, Fleet = "before" });
        Advance(10);

        var e = await Assert.ThrowsAsync<InvalidOperationException>(async () => await Store(p).UpdateAsync("c", new Throwing(), Ct));
        Assert.Equal("c", e.Message);
        Assert.Equal((CircuitState.HalfOpen, 1, (long?)null, 99L, "before"), await ReadAsync(p, "c"));
        Assert.Equal(Conformance.Backend.Start, Assert.Single(await p.Admin.ListCircuitsAsync(Ct)).UpdatedAt);

        // On a fresh key: still no row afterwards.
        await Assert.ThrowsAsync<InvalidOperationException>(async () => await Store(p).UpdateAsync("fresh", new Throwing(), Ct));
        Assert.Null(await p.CircuitBreakers.GetStateAsync("fresh", Ct));
        Assert.Single(await Backend.StoredKeysAsync(p, "go_goscope_circuit"));

        // The store is fine afterwards.
        await Store(p).UpdateAsync("after", new Counting(), Ct);
        Assert.Equal("1", (await ReadAsync(p, "after"))!.Value.Item5);
    }

    [Fact]
    public async Task ACancelledToken_RunsNoRule_AndChangesNothing()
    {
        var p = await OpenAsync();
        await WriteAsync(p, "c", new CircuitRow { State = CircuitState.Open, FailureCount = 2, Fleet = "x" });
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();
        var rule = new Recording(new CircuitRow { State = CircuitState.Closed });
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await Store(p).UpdateAsync("c", rule, cancelled.Token));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await Store(p).UpdateAsync("fresh", rule, cancelled.Token));
        Assert.Equal(0, rule.Runs);
        Assert.Equal((CircuitState.Open, 2, (long?)null, (long?)null, "x"), await ReadAsync(p, "c"));
        Assert.Null(await p.CircuitBreakers.GetStateAsync("fresh", Ct));
    }

    [Fact]
    public async Task SetState_ClearsTheFleetState_RecordFailureAndRecordSuccess_KeepIt()
    {
        var p = await OpenAsync();
        await Store(p).UpdateAsync("c", new Counting(), Ct);
        await Store(p).UpdateAsync("c", new Counting(), Ct);
        Assert.Equal((CircuitState.Closed, 0, (long?)null, (long?)null, "2"), await ReadAsync(p, "c"));

        Advance(10);
        Assert.Equal(1, await p.CircuitBreakers.RecordFailureAsync("c", 5, Ct));
        Assert.Equal((CircuitState.Closed, 1, NowMs, (long?)null, "2"), await ReadAsync(p, "c"));

        Advance(10);
        await p.CircuitBreakers.RecordSuccessAsync("c", Ct);
        Assert.Equal((CircuitState.Closed, 0, NowMs - 10, NowMs, "2"), await ReadAsync(p, "c"));

        // The counting rule keeps the contract fields it was given.
        await Store(p).UpdateAsync("c", new Counting(), Ct);
        Assert.Equal((CircuitState.Closed, 0, NowMs - 10, NowMs, "3"), await ReadAsync(p, "c"));

        await p.CircuitBreakers.SetStateAsync("c", new CircuitBreakerPersistedState(CircuitState.Open, 9), Ct);
        Assert.Equal((CircuitState.Open, 9, (long?)null, (long?)null, (string?)null), await ReadAsync(p, "c"));

        // A failure or success recorded on a fresh key stores no fleet state either.
        await p.CircuitBreakers.RecordFailureAsync("f", 1, Ct);
        await p.CircuitBreakers.RecordSuccessAsync("s", Ct);
        Assert.Null((await ReadAsync(p, "f"))!.Value.Item5);
        Assert.Null((await ReadAsync(p, "s"))!.Value.Item5);
    }

    [Fact]
    public async Task AnIsolatedRow_IsLeftAsItIs_ByRecordSuccessAndByHalfOpen_AndEndedByClosedOrOpen()
    {
        var p = await OpenAsync();
        const string isolated = "f1;s=i;r=1;o=5";
        await WriteAsync(p, "c", new CircuitRow { State = CircuitState.Open, FailureCount = 3, LastFailureMs = 5, Fleet = isolated });

        // What a breaker over a decorator (the per-process rules) writes: none of it ends the isolation.
        Advance(10);
        await p.CircuitBreakers.RecordSuccessAsync("c", Ct);
        await p.CircuitBreakers.SetStateAsync("c", new CircuitBreakerPersistedState(CircuitState.HalfOpen, 3, Conformance.Backend.Start), Ct);
        Assert.Equal((CircuitState.Open, 3, 5L, (long?)null, isolated), await ReadAsync(p, "c"));
        Assert.Equal(4, await p.CircuitBreakers.RecordFailureAsync("c", 1, Ct));
        Assert.Equal((CircuitState.Open, 4, NowMs, (long?)null, isolated), await ReadAsync(p, "c"));

        // An explicit closed (or open) state replaces it, as it always could.
        await p.CircuitBreakers.SetStateAsync("c", new CircuitBreakerPersistedState(CircuitState.Closed, 0), Ct);
        Assert.Equal((CircuitState.Closed, 0, (long?)null, (long?)null, (string?)null), await ReadAsync(p, "c"));

        await WriteAsync(p, "o", new CircuitRow { State = CircuitState.Open, FailureCount = 3, Fleet = isolated });
        await p.CircuitBreakers.SetStateAsync("o", new CircuitBreakerPersistedState(CircuitState.Open, 7), Ct);
        Assert.Equal((CircuitState.Open, 7, (long?)null, (long?)null, (string?)null), await ReadAsync(p, "o"));

        // Another fleet text (not isolated) is replaced by half-open, and reset by a success, as before.
        await WriteAsync(p, "d", new CircuitRow { State = CircuitState.Open, FailureCount = 1, Fleet = "f1;s=o;r=1" });
        await p.CircuitBreakers.SetStateAsync("d", new CircuitBreakerPersistedState(CircuitState.HalfOpen, 1), Ct);
        Assert.Equal((CircuitState.HalfOpen, 1, (long?)null, (long?)null, (string?)null), await ReadAsync(p, "d"));
    }

    [Fact]
    public async Task AnUnknownStoredState_FailsClearly_RunsNoRule_AndChangesNothing()
    {
        var p = await OpenAsync("p:");
        await Backend.PutRawCircuitStateAsync(p, "c", "banana");
        var rule = new Recording(new CircuitRow { State = CircuitState.Closed });
        var e = await Assert.ThrowsAsync<PayloadFormatException>(async () => await Store(p).UpdateAsync("c", rule, Ct));
        Assert.Equal("c", e.Key);
        Assert.Equal(typeof(CircuitBreakerPersistedState), e.PayloadType);
        Assert.Equal("circuit.update", e.Operation);
        Assert.Contains("banana", e.Message, StringComparison.Ordinal);
        Assert.Equal(0, rule.Runs);

        // Still the unknown state: the contract API's read fails the same way.
        var read = await Assert.ThrowsAsync<PayloadFormatException>(async () => await p.CircuitBreakers.GetStateAsync("c", Ct));
        Assert.Contains("banana", read.Message, StringComparison.Ordinal);

        // SetStateAsync replaces it, as it always could.
        await p.CircuitBreakers.SetStateAsync("c", new CircuitBreakerPersistedState(CircuitState.Closed, 0), Ct);
        Assert.Equal((CircuitState.Closed, 0, (long?)null, (long?)null, (string?)null), await ReadAsync(p, "c"));
    }

    [Fact]
    public async Task Arguments_AreValidated_AsTheContractApiValidatesThem()
    {
        var p = await OpenAsync();
        var rule = new Recording(new CircuitRow { State = CircuitState.Open });
        foreach (var bad in new[] { null, "", "x\uDBFF" })
        {
            await Assert.ThrowsAnyAsync<ArgumentException>(async () => await Store(p).UpdateAsync(bad!, rule, Ct));
        }

        await Assert.ThrowsAsync<ArgumentNullException>(async () => await Store(p).UpdateAsync("c", null!, Ct));
        Assert.Equal(0, rule.Runs);
        Assert.Empty(await Backend.StoredKeysAsync(p, "go_goscope_circuit"));
    }

    [Fact]
    public async Task TheKey_IsStoredInTheAdaptersNamespace_AsTheContractApiStoresIt()
    {
        var p = await OpenAsync("app:");
        await Store(p).UpdateAsync("k", new Counting(), Ct);
        Assert.Equal(["app:circuit:k"], await Backend.StoredKeysAsync(p, "go_goscope_circuit"));
        Assert.Equal(1, await p.CircuitBreakers.RecordFailureAsync("k", 3, Ct));
        Assert.Equal(["app:circuit:k"], await Backend.StoredKeysAsync(p, "go_goscope_circuit"));
    }

    /// <summary>
    /// <paramref name="tasks"/> tasks, spread over <paramref name="adapters"/>, each run <paramref name="each"/> counting
    /// updates of one key: the counter ends at their number, and the counts the committed runs wrote are exactly 1..N
    /// (no update was lost or applied twice).
    /// </summary>
    protected async Task UpdateConcurrentlyAsync(IReadOnlyList<IPersistenceAdapter> adapters, int tasks, int each)
    {
        var written = new long[tasks][];
        await Task.WhenAll(Enumerable.Range(0, tasks).Select(t => Task.Run(async () =>
        {
            var store = Store(adapters[t % adapters.Count]);
            written[t] = new long[each];
            for (var i = 0; i < each; i++)
            {
                var rule = new Counting();
                await store.UpdateAsync("hot", rule, Ct);
                written[t][i] = rule.Wrote;
            }
        }, Ct)));

        var n = tasks * each;
        Assert.Equal(n.ToString(System.Globalization.CultureInfo.InvariantCulture), (await ReadAsync(adapters[0], "hot"))!.Value.Item5);
        Assert.Equal(Enumerable.Range(1, n).Select(i => (long)i), written.SelectMany(w => w).Order());
    }

    /// <summary>Records what it was given and returns a fixed row (or nothing).</summary>
    protected sealed class Recording(CircuitRow? result) : CircuitRule
    {
        public int Runs { get; private set; }

        public CircuitRow? Seen { get; private set; }

        public long? Now { get; private set; }

        public override CircuitRow? Apply(CircuitRow? stored, long nowMs)
        {
            Runs++;
            (Seen, Now) = (stored, nowMs);
            return result;
        }
    }

    /// <summary>Adds one to a counter kept in the fleet text, keeping every other field (a fresh key starts closed).</summary>
    protected sealed class Counting : CircuitRule
    {
        /// <summary>Gets the count the last run wrote (the committed one, once the update completed).</summary>
        public long Wrote { get; private set; }

        public override CircuitRow? Apply(CircuitRow? stored, long nowMs)
        {
            Wrote = (stored?.Fleet is { } text ? long.Parse(text, System.Globalization.CultureInfo.InvariantCulture) : 0) + 1;
            return new CircuitRow
            {
                State = stored?.State ?? CircuitState.Closed,
                FailureCount = stored?.FailureCount ?? 0,
                LastFailureMs = stored?.LastFailureMs,
                LastSuccessMs = stored?.LastSuccessMs,
                Fleet = Wrote.ToString(System.Globalization.CultureInfo.InvariantCulture),
            };
        }
    }

    /// <summary>Throws, naming the key's state it was given.</summary>
    protected sealed class Throwing : CircuitRule
    {
        public override CircuitRow? Apply(CircuitRow? stored, long nowMs) => throw new InvalidOperationException(stored is null ? "fresh" : "c");
    }
}

/// <summary>The circuit store where a second adapter can open the same store: every adapter takes its turn.</summary>
public abstract class CircuitStoreSharedStoreConformance<TBackend> : CircuitStoreConformance<TBackend>
    where TBackend : Backend, new()
{
    [Fact]
    public async Task ConcurrentUpdatesFromTwoAdaptersOnOneStore_AddExactlyN()
    {
        var a = await OpenAsync("n:");
        var b = await OpenSecondAsync("n:");
        await UpdateConcurrentlyAsync([a, b], tasks: 8, each: 100);
    }

    [Fact]
    public async Task UpdatesAndRecordedFailures_FromTwoAdapters_LoseNothingOfEachOther()
    {
        var a = await OpenAsync("mix:");
        var b = await OpenSecondAsync("mix:");
        await Task.WhenAll(Enumerable.Range(0, 6).Select(t => Task.Run(async () =>
        {
            var adapter = t % 2 == 0 ? a : b;
            for (var i = 0; i < 50; i++)
            {
                if (t < 3)
                {
                    await Store(adapter).UpdateAsync("hot", new Counting(), Ct);
                }
                else
                {
                    await adapter.CircuitBreakers.RecordFailureAsync("hot", 1000, Ct);
                }
            }
        }, Ct)));

        var row = (await ReadAsync(b, "hot"))!.Value;
        Assert.Equal((150, "150"), (row.Item2, row.Item5));
    }

    [Fact]
    public async Task EachAdapter_PassesItsOwnClock()
    {
        var a = await OpenAsync("clock:");
        var other = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(Conformance.Backend.Start.AddDays(1));
        var b = await Backend.OpenAsync(Backend.Options("clock:", time: other));
        Assert.Same(other, Store(b).Time);
        var rule = new Recording(new CircuitRow { State = CircuitState.Open });
        await Store(b).UpdateAsync("c", rule, Ct);
        Assert.Equal(other.GetUtcNow().ToUnixTimeMilliseconds(), rule.Now);
        await Store(a).UpdateAsync("c", rule, Ct);
        Assert.Equal(NowMs, rule.Now);
    }

    [Fact]
    public async Task Prefixes_HaveTheirOwnRows()
    {
        var a = await OpenAsync("svc_");
        var b = await OpenSecondAsync("svc%");
        await Store(a).UpdateAsync("db", new Counting(), Ct);
        await Store(a).UpdateAsync("db", new Counting(), Ct);
        await Store(b).UpdateAsync("db", new Counting(), Ct);
        Assert.Equal("2", (await ReadAsync(a, "db"))!.Value.Item5);
        Assert.Equal("1", (await ReadAsync(b, "db"))!.Value.Item5);
    }

    [Fact]
    public async Task AnUpdateWaitingForAnotherAdapters_HonorsCancellation_AndThenRunsOnTheRowAsLeft()
    {
        var a = await OpenAsync("wait:");
        var b = await OpenSecondAsync("wait:");
        await Store(a).UpdateAsync("c", new Counting(), Ct);

        // Adapter a holds the row (its rule waits, inside the update's transaction) while b's update waits for it.
        using var entered = new SemaphoreSlim(0);
        using var release = new SemaphoreSlim(0);
        var holding = Task.Run(async () => await Store(a).UpdateAsync("c", new Blocking(entered, release), Ct), Ct);
        Assert.True(await entered.WaitAsync(TimeSpan.FromSeconds(30), Ct));

        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
        var waiting = new Counting();
        var cancelled = Task.Run(async () => await Store(b).UpdateAsync("c", waiting, cancel.Token), Ct);
        if (Backend is InMemoryBackend)
        {
            // In memory an update never waits asynchronously: the table's lock is held for one rule's run, so the
            // waiting update runs once it is free, whatever its token says by then.
            await Task.Delay(300, Ct);
            release.Release();
            await holding;
            await cancelled;
            Assert.Equal("3", (await ReadAsync(b, "c"))!.Value.Item5);
            return;
        }

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await cancelled);
        Assert.Equal(0, waiting.Wrote);
        release.Release();
        await holding;
        Assert.Equal("2", (await ReadAsync(b, "c"))!.Value.Item5);
    }

    /// <summary>Counts, but first signals <c>entered</c> and waits for <c>release</c> (once).</summary>
    private sealed class Blocking(SemaphoreSlim entered, SemaphoreSlim release) : CircuitRule
    {
        private readonly Counting _count = new();
        private bool _waited;

        public override CircuitRow? Apply(CircuitRow? stored, long nowMs)
        {
            if (!_waited)
            {
                _waited = true;
                entered.Release();
                Assert.True(release.Wait(TimeSpan.FromSeconds(30)));
            }

            return _count.Apply(stored, nowMs);
        }
    }
}
