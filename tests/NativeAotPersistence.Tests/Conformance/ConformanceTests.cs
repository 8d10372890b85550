using Microsoft.Extensions.Time.Testing;

namespace NativeAotPersistence.Tests.Conformance;

/// <summary>The base of every conformance suite: a fresh database of <typeparamref name="TBackend"/> per test.</summary>
public abstract class ConformanceTests<TBackend> : IAsyncLifetime
    where TBackend : Backend, new()
{
    protected TBackend Backend { get; } = new();

    protected FakeTimeProvider Time => Backend.Time;

    protected static CancellationToken Ct => TestContext.Current.CancellationToken;

    public ValueTask InitializeAsync() => default;

    public async ValueTask DisposeAsync()
    {
        await Backend.DisposeAsync();
        GC.SuppressFinalize(this);
    }

    protected ValueTask<IPersistenceAdapter> OpenAsync(
        string prefix = "", LockScope lockScope = LockScope.Database, TimeProvider? time = null, PayloadContext? payloads = null) =>
        Backend.OpenAsync(prefix, lockScope, time, payloads);

    /// <summary>A second adapter on the same database (only in <c>*SharedStoreConformance</c> tests: <c>:memory:</c> has none).</summary>
    protected ValueTask<IPersistenceAdapter> OpenSecondAsync(string prefix = "", LockScope lockScope = LockScope.Database)
    {
        Backend.RequireSecondAdapter();
        return Backend.OpenAsync(prefix, lockScope);
    }

    protected void Advance(double milliseconds) => Time.Advance(TimeSpan.FromMilliseconds(milliseconds));

    protected long NowMs => Time.GetUtcNow().ToUnixTimeMilliseconds();
}
