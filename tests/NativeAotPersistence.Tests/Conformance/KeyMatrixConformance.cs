namespace NativeAotPersistence.Tests.Conformance;

/// <summary>
/// Adversarial prefixes and keys: LIKE and GLOB metacharacters, quotes, case variants, non-ASCII, whitespace and
/// 10 KB strings. Adapters with different prefixes on one database never see each other's rows.
/// </summary>
public abstract class KeyMatrixConformance<TBackend> : ConformanceTests<TBackend>
    where TBackend : Backend, new()
{
    public static readonly string[] Prefixes =
    [
        "", "a", "A", "%", "_", "*", "?", "[", "]", "'", "\"", "é", "e\u0301", "日本", "😀", " ", "\t",
        "p%_*?[]'\"", new string('x', 10 * 1024), "\0", "\uFFFF",
    ];

    public static readonly string[] AdversarialKeys =
    [
        "k", "K", "%", "_", "*", "?", "[a]", "[", "]", "'", "\"", "é", "É", "e\u0301", "日本", "😀", " ", "  ", "\t",
        "%_*?[]'\"", "a%", "a_", "A%", new string('y', 10 * 1024), new string('日', 3000) + "end",
        "\0", "a\0b", "a\0", "\uFFFF", "\uE000", "🂡\uFFFF",
    ];

    [Fact]
    public async Task AdversarialKeys_RoundTrip_OnOneAdapter()
    {
        var p = await OpenAsync("p%_*?[]'\":", LockScope.Database);
        for (var i = 0; i < AdversarialKeys.Length; i++)
        {
            await p.Cache.SetAsync(AdversarialKeys[i], i, cancellationToken: Ct);
        }

        Assert.Equal(AdversarialKeys.Order(StringComparer.Ordinal), await p.Cache.KeysAsync(cancellationToken: Ct));
        for (var i = 0; i < AdversarialKeys.Length; i++)
        {
            var key = AdversarialKeys[i];
            Assert.Equal(i, await p.Cache.GetAsync<int>(key, Ct));
            Assert.Equal(AdversarialKeys.Where(k => Glob.IsMatch(key, k)).Order(StringComparer.Ordinal), await p.Cache.KeysAsync(key, Ct));
            Assert.NotNull(await p.Locks.AcquireAsync(key, TimeSpan.FromSeconds(1), "me", Ct));
            Assert.Equal(1, await p.CircuitBreakers.RecordFailureAsync(key, 3, Ct));
        }

        foreach (var key in AdversarialKeys)
        {
            Assert.True(await p.Cache.DeleteAsync(key, Ct));
        }

        Assert.Empty(await p.Cache.KeysAsync(cancellationToken: Ct));
    }

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
