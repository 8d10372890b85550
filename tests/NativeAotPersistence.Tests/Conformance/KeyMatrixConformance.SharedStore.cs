namespace NativeAotPersistence.Tests.Conformance;

/// <summary>
/// What the keymatrix contract promises between adapters on one store (other processes, other prefixes): run on
/// every backend where a second adapter can open the same database, so not on SQLite <c>:memory:</c>.
/// </summary>
public abstract class KeyMatrixSharedStoreConformance<TBackend> : KeyMatrixConformance<TBackend>
    where TBackend : Backend, new()
{
    [Fact]
    public async Task Prefixes_NeverSeeEachOther()
    {
        var adapters = new List<IPersistenceAdapter>();
        foreach (var prefix in Prefixes)
        {
            adapters.Add(adapters.Count == 0 ? await OpenAsync(prefix, LockScope.Database) : await OpenSecondAsync(prefix, LockScope.Database));
        }

        for (var i = 0; i < adapters.Count; i++)
        {
            var p = adapters[i];
            foreach (var key in AdversarialKeys)
            {
                await p.Cache.SetAsync(key, i, cancellationToken: Ct);
            }

            for (var f = 0; f <= i; f++)
            {
                await p.CircuitBreakers.RecordFailureAsync("k", 100, Ct);
            }

            await p.Idempotency.SetAsync("%", i, cancellationToken: Ct);
            await p.Checkpoints.SaveAsync(new Checkpoint<int>("_", "*", i, Conformance.Backend.Start, 0, i), Ct);
            Assert.NotNull(await p.Locks.AcquireAsync("?", TimeSpan.FromMinutes(1), "owner" + i, Ct));
        }

        var sorted = AdversarialKeys.Order(StringComparer.Ordinal).ToArray();
        string?[] patterns = [null, "*", "?", "%", "_", "[a]", "a*", "A*", "*'*", "?*", "e*", "k"];
        for (var i = 0; i < adapters.Count; i++)
        {
            var p = adapters[i];
            Assert.Equal(sorted, await p.Cache.KeysAsync(cancellationToken: Ct));
            foreach (var pattern in patterns)
            {
                Assert.Equal(sorted.Where(k => Glob.IsMatch(pattern, k)), await p.Cache.KeysAsync(pattern, Ct));
            }

            foreach (var key in AdversarialKeys)
            {
                Assert.Equal(i, await p.Cache.GetAsync<int>(key, Ct));
            }

            Assert.Equal(i + 1, (await p.CircuitBreakers.GetStateAsync("k", Ct))!.FailureCount);
            Assert.Equal(i, (await p.Idempotency.GetAsync<int>("%", Ct))!.Value);
            Assert.Equal(i, (await p.Checkpoints.LoadLatestAsync<int>("*", Ct))!.Data);
            Assert.Equal(i, (await p.Checkpoints.ListAsync("*", Ct)).Single().Sequence);
            Assert.Equal("owner" + i, (await p.Locks.GetInfoAsync("?", Ct))!.Owner);
        }

        // Destructive operations on the first two adapters leave every other one intact.
        foreach (var key in AdversarialKeys)
        {
            Assert.True(await adapters[0].Cache.DeleteAsync(key, Ct));
        }

        await adapters[1].Cache.ClearAsync(Ct);
        await adapters[1].Checkpoints.DeleteAllAsync("*", Ct);
        await adapters[1].Locks.ForceReleaseAsync("?", Ct);
        await adapters[1].Idempotency.DeleteAsync("%", Ct);
        await adapters[1].CircuitBreakers.RecordSuccessAsync("k", Ct);
        Assert.Empty(await adapters[0].Cache.KeysAsync(cancellationToken: Ct));
        Assert.Empty(await adapters[1].Cache.KeysAsync(cancellationToken: Ct));
        for (var i = 2; i < adapters.Count; i++)
        {
            var p = adapters[i];
            Assert.Equal(sorted, await p.Cache.KeysAsync(cancellationToken: Ct));
            foreach (var key in AdversarialKeys)
            {
                Assert.True(await p.Cache.HasAsync(key, Ct));
            }

            Assert.Equal(i + 1, (await p.CircuitBreakers.GetStateAsync("k", Ct))!.FailureCount);
            Assert.NotNull(await p.Idempotency.GetAsync<int>("%", Ct));
            Assert.NotNull(await p.Checkpoints.LoadLatestAsync<int>("*", Ct));
            Assert.Equal("owner" + i, (await p.Locks.GetInfoAsync("?", Ct))!.Owner);
        }

        var expected = (adapters.Count - 2) * AdversarialKeys.Length;
        Assert.Equal(expected, await Backend.CountRowsAsync(adapters[0], "go_goscope_cache"));
    }
}
