using System.Reflection;
using System.Runtime.CompilerServices;
using NativeAotPersistence.Backends;
using NativeAotPersistence.Tests.Conformance;

namespace NativeAotPersistence.Tests.Architecture;

/// <summary>The kinds' registration in the types every backend shares (the per-backend checks are <see cref="KindConformance{TBackend}"/>).</summary>
public sealed class KindRegistrationTests
{
    [Fact]
    public void EveryProviderOfTheAdapterInterfaceIsAKnownKind()
    {
        var properties = Kinds.AdapterProviderProperties().Select(p => p.Name).Order(StringComparer.Ordinal);
        Assert.Equal(Kinds.All.Keys.Order(StringComparer.Ordinal), properties);
    }

    [Fact]
    public void TheProvidersBundleHasEveryKind()
    {
        var bundled = typeof(PersistenceProviders).GetProperties().Select(p => p.PropertyType).ToHashSet();
        Assert.All(Kinds.AdapterProviderProperties(), p => Assert.Contains(p.PropertyType, bundled));
    }

    [Fact]
    public void BackendProvidersRequiresEveryKind()
    {
        var members = typeof(BackendProviders).GetProperties()
            .Where(p => p.GetCustomAttribute<RequiredMemberAttribute>() is not null || typeof(BackendProviders).GetCustomAttribute<RequiredMemberAttribute>() is not null)
            .ToDictionary(p => p.PropertyType);
        Assert.All(Kinds.AdapterProviderProperties(), p =>
            Assert.True(
                members.ContainsKey(p.PropertyType) || members.ContainsKey(typeof(Func<>).MakeGenericType(p.PropertyType)),
                $"BackendProviders has no required member for {p.PropertyType.Name}."));
        Assert.All(typeof(BackendProviders).GetProperties(), p => Assert.NotNull(p.GetCustomAttribute<RequiredMemberAttribute>()));
    }

    [Fact]
    public void PruneResultHasAMemberPerKindThatExpires_AndTotalAddsThemAll()
    {
        var members = typeof(PruneResult).GetProperties().Where(p => p.CanWrite).Select(p => p.Name).Order(StringComparer.Ordinal);
        Assert.Equal(Kinds.All.Where(k => k.Value.Expires).Select(k => k.Key).Order(StringComparer.Ordinal), members);

        var result = new PruneResult();
        var n = 1;
        foreach (var p in typeof(PruneResult).GetProperties().Where(p => p.CanWrite))
        {
            object boxed = result;
            p.SetValue(boxed, n);
            result = (PruneResult)boxed;
            n *= 10;
        }

        Assert.Equal(Enumerable.Range(0, members.Count()).Sum(i => (int)Math.Pow(10, i)), result.Total);
    }

    [Fact]
    public void PersistenceStatsAndPruneResultAreNotPositional()
    {
        Assert.DoesNotContain(typeof(PersistenceStats).GetConstructors(), c => c.GetParameters().Length > 0 && c.GetParameters()[0].ParameterType != typeof(PersistenceStats));
        Assert.DoesNotContain(typeof(PruneResult).GetConstructors(), c => c.GetParameters().Length > 0);
        Assert.Null(typeof(PersistenceStats).GetMethod("Deconstruct"));
        Assert.Null(typeof(PruneResult).GetMethod("Deconstruct"));
    }
}

/// <summary>
/// Every kind, on every backend: the adapter exposes a provider, bundles the same instance, and a row of it is counted
/// by the admin statistics (so the backend's schema has the kind's table and its admin source is registered); a kind
/// that expires is reclaimed by <see cref="IPersistenceAdapter.PruneAsync"/> and reported under its own name.
/// </summary>
public abstract class KindConformance<TBackend> : ConformanceTests<TBackend>
    where TBackend : Backend, new()
{
    [Theory]
    [InlineData(LockScope.Database)]
    [InlineData(LockScope.Process)]
    public async Task EveryKindIsProvidedBundledCountedAndPruned(LockScope scope)
    {
        var p = await OpenAsync("kinds:", scope);
        foreach (var property in Kinds.AdapterProviderProperties())
        {
            var provider = property.GetValue(p);
            Assert.NotNull(provider);
            Assert.Contains(provider, typeof(PersistenceProviders).GetProperties().Select(b => b.GetValue(p.Providers)));
            Assert.Same(provider, property.GetValue(p));
        }

        foreach (var (name, kind) in Kinds.All)
        {
            var before = kind.Count(await p.Admin.GetStatsAsync(Ct));
            await kind.WriteOne(p, kind.Expires ? TimeSpan.FromSeconds(1) : null, Ct);
            Assert.True(kind.Count(await p.Admin.GetStatsAsync(Ct)) == before + 1, $"{name}: the admin statistics do not count its row.");
        }

        Advance(1000);
        var pruned = await p.PruneAsync(Ct);
        foreach (var (name, kind) in Kinds.All.Where(k => k.Value.Expires))
        {
            Assert.True((int)typeof(PruneResult).GetProperty(name)!.GetValue(pruned)! == 1, $"{name}: PruneAsync did not report its expired row.");
        }

        Assert.Equal(Kinds.All.Count(k => k.Value.Expires), pruned.Total);
    }
}

public sealed class KindConformance_SqliteMemory : KindConformance<SqliteMemoryBackend>;

public sealed class KindConformance_SqliteFile : KindConformance<SqliteFileBackend>;

public sealed class KindConformance_SqliteBorrowed : KindConformance<SqliteBorrowedBackend>;

public sealed class KindConformance_InMemory : KindConformance<InMemoryBackend>;

public sealed class KindConformance_Postgres : KindConformance<PostgresBackend>;
