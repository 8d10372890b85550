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

}
