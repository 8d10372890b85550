using Npgsql;

namespace NativeAotPersistence.Tests.PostgreSql;

/// <summary>
/// Writes whose result depends on whether they ran once (a counter, an insert-if-absent, a lock grant), with the
/// connection broken at a chosen point of the protocol by a relay (deterministically, not by a random kill): broken
/// before the statement's reply, nothing is applied and the write is retried; broken after COMMIT reached the server,
/// the outcome is unknown and reported, never retried, so nothing is applied twice.
/// </summary>
public sealed class AmbiguousCommitTests : IAsyncLifetime
{
    private TcpProxy _proxy = null!;
    private PostgresAdapter _viaProxy = null!;
    private PostgresAdapter _direct = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        var server = await PostgresServer.RequireAsync();
        var schema = await PostgresServer.CreateSchemaAsync();
        _proxy = new TcpProxy(server.Port);
        var options = new PersistenceAdapterOptions { BusyTimeout = TimeSpan.FromSeconds(10) };

        // A fresh adapter sends each statement's text the first time (it is prepared automatically only later), so a
        // statement can be recognized on the wire.
        _viaProxy = await PostgresAdapter.OpenAsync(new NpgsqlConnectionStringBuilder(schema) { Port = _proxy.Port, Pooling = false }.ConnectionString, options, Ct);
        _direct = await PostgresAdapter.OpenAsync(schema, options, Ct);
    }

    public async ValueTask DisposeAsync()
    {
        await _viaProxy.DisposeAsync();
        await _direct.DisposeAsync();
        _proxy.Dispose();
    }

    [Fact]
    public async Task ARecordFailureCutBeforeItsReply_IsRetried_AndCountsOnce()
    {
        _proxy.CutAfterClientSends("failure_count + 1");
        Assert.Equal(1, await _viaProxy.CircuitBreakers.RecordFailureAsync("k", 10, Ct));
        Assert.Equal(1, _proxy.Cuts);
        Assert.Equal(1, (await _direct.CircuitBreakers.GetStateAsync("k", Ct))!.FailureCount);
    }

    [Fact]
    public async Task ARecordFailureCutAfterItsCommitReachedTheServer_IsReportedAsUnknown_NeverRetried()
    {
        _proxy.CutAfterClientSends(TcpProxy.CommitMessage);
        var error = await Assert.ThrowsAsync<PersistenceException>(async () => await _viaProxy.CircuitBreakers.RecordFailureAsync("k", 10, Ct));
        Assert.Equal(PersistenceErrorKind.Connection, error.Kind);
        Assert.Contains("whether it was applied is unknown", error.Message, StringComparison.Ordinal);
        Assert.Equal(1, _proxy.Cuts);

        // The commit went through once; a retry would have made it two.
        Assert.Equal(1, (await _direct.CircuitBreakers.GetStateAsync("k", Ct))!.FailureCount);
    }

    [Fact]
    public async Task AnAddCutAfterItsCommit_IsReportedAsUnknown_NotRetriedIntoAFalseAnswer()
    {
        // Retried, the add would find its own row and answer "not stored" for a value it stored.
        _proxy.CutAfterClientSends(TcpProxy.CommitMessage);
        var error = await Assert.ThrowsAsync<PersistenceException>(async () => await _viaProxy.Cache.AddAsync("once", "mine", cancellationToken: Ct));
        Assert.Equal(PersistenceErrorKind.Connection, error.Kind);
        Assert.Equal("mine", await _direct.Cache.GetAsync<string>("once", Ct));
    }

    [Fact]
    public async Task ALockGrantCutAfterItsCommit_IsReportedAsUnknown_AndTheTokenIsDrawnOnce()
    {
        var before = (await (await _direct.Locks.AcquireAsync("probe", TimeSpan.FromMinutes(1), "probe", Ct))!.DisposeAsyncAndReturn()).FencingToken;
        _proxy.CutAfterClientSends(TcpProxy.CommitMessage);
        var error = await Assert.ThrowsAsync<PersistenceException>(async () => await _viaProxy.Locks.AcquireAsync("job", TimeSpan.FromMinutes(1), "me", Ct));
        Assert.Equal(PersistenceErrorKind.Connection, error.Kind);

        // The grant committed once: the row is "me"'s, with the one token drawn after the probe's.
        var info = await _direct.Locks.GetInfoAsync("job", Ct);
        Assert.Equal(("me", before + 1), (info?.Owner, info?.FencingToken));
    }
}

internal static class HandleExtensions
{
    /// <summary>Releases a handle and returns it (its token is still readable).</summary>
    public static async Task<ILockHandle> DisposeAsyncAndReturn(this ILockHandle handle)
    {
        await handle.DisposeAsync();
        return handle;
    }
}
