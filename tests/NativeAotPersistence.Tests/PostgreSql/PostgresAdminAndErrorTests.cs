using Microsoft.Extensions.Time.Testing;
using Npgsql;

namespace NativeAotPersistence.Tests.PostgreSql;

/// <summary>
/// The PostgreSQL admin listings over real rows (next to a neighbor prefix's), and the server's refusals beyond
/// connection errors as typed errors: a read-only transaction, a constraint, a key too large for an index entry, a full disk.
/// </summary>
public sealed class PostgresAdminAndErrorTests : IAsyncLifetime
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 25, 12, 0, 0, TimeSpan.Zero));
    private string _schema = null!;
    private PostgresAdapter _adapter = null!;
    private PostgresAdapter _neighbor = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _schema = await PostgresServer.CreateSchemaAsync();
        _adapter = await PostgresAdapter.OpenAsync(_schema, new PersistenceAdapterOptions { KeyPrefix = "app:", TimeProvider = _time }, Ct);
        _neighbor = await PostgresAdapter.OpenAsync(_schema, new PersistenceAdapterOptions { KeyPrefix = "other:", TimeProvider = _time }, Ct);
        await _neighbor.Cache.SetAsync("noise", 1, cancellationToken: Ct);
        await _neighbor.CircuitBreakers.RecordFailureAsync("noise", 1, Ct);
        await _neighbor.Idempotency.SetAsync("noise", 1, cancellationToken: Ct);
        await _neighbor.Locks.AcquireAsync("noise", TimeSpan.FromMinutes(1), cancellationToken: Ct);
        await _neighbor.Checkpoints.SaveAsync(new Checkpoint<int>("noise", "noise", 9, _time.GetUtcNow(), 90, 9), Ct);
    }

    public async ValueTask DisposeAsync()
    {
        await _neighbor.DisposeAsync();
        await _adapter.DisposeAsync();
    }

    [Fact]
    public async Task Lists_ShowThisPrefixsCircuitsTasksLocksAndIdempotencyKeys()
    {
        await _adapter.CircuitBreakers.RecordFailureAsync("payments", 1, Ct);
        await _adapter.CircuitBreakers.RecordSuccessAsync("email", Ct);

        // Saved out of order: the task's latest checkpoint is the one with the highest sequence, not the last saved.
        await _adapter.Checkpoints.SaveAsync(new Checkpoint<int>("t#2", "import", 2, _time.GetUtcNow(), 40, 2, TimeSpan.FromMinutes(3)), Ct);
        _time.Advance(TimeSpan.FromSeconds(1));
        await _adapter.Checkpoints.SaveAsync(new Checkpoint<int>("t#1", "import", 1, _time.GetUtcNow(), 10, 1), Ct);
        await _adapter.Checkpoints.SaveAsync(new Checkpoint<int>("e#1", "export", 1, _time.GetUtcNow(), 5, 1), Ct);
        var handle = await _adapter.Locks.AcquireAsync("report", TimeSpan.FromMinutes(1), "me", Ct);
        await _adapter.Locks.AcquireAsync("expired", TimeSpan.FromSeconds(1), "me", Ct);
        await _adapter.Idempotency.SetAsync("charge:1", "r1", TimeSpan.FromHours(1), Ct);
        await _adapter.Idempotency.SetAsync("charge:2", "r2", cancellationToken: Ct);
        await _adapter.Idempotency.SetAsync("refund:1", "r3", cancellationToken: Ct);
        _time.Advance(TimeSpan.FromSeconds(1));

        var circuits = await _adapter.Admin.ListCircuitsAsync(Ct);
        Assert.Equal(["email", "payments"], circuits.Select(c => c.Key));
        Assert.Equal(CircuitState.Open, circuits[1].State.State);

        var tasks = await _adapter.Admin.ListTasksAsync(Ct);
        Assert.Equal(
            [
                new TaskSummary("export", 1, 1, 5, null, _time.GetUtcNow() - TimeSpan.FromSeconds(1)),
                new TaskSummary("import", 2, 2, 40, TimeSpan.FromMinutes(3), _time.GetUtcNow() - TimeSpan.FromSeconds(2)),
            ],
            tasks);

        var lockInfo = Assert.Single(await _adapter.Admin.ListLocksAsync(Ct));
        Assert.Equal(("report", "me", handle!.FencingToken), (lockInfo.Key, lockInfo.Owner, lockInfo.FencingToken));
        Assert.Equal(new LockHolder(Environment.ProcessId, true, false), lockInfo.Holder);

        var charges = await _adapter.Admin.ListIdempotencyKeysAsync("charge:*", Ct);
        Assert.Equal(["charge:1", "charge:2"], charges.Select(k => k.Key));
        Assert.Equal(_time.GetUtcNow() + TimeSpan.FromHours(1) - TimeSpan.FromSeconds(1), charges[0].ExpiresAt);
        Assert.Equal(4, charges[0].ValueBytes);

        var stats = await _adapter.Admin.GetStatsAsync(Ct);
        Assert.Equal((2, 3, 2, 0, 1), (stats.Circuits, stats.Checkpoints, stats.Tasks, stats.Cache.Live, stats.Locks.Live));
        Assert.Equal(new RowCounts(3, 0), stats.Idempotency);
        Assert.Equal(new RowCounts(1, 1), stats.Locks);
    }

    [Fact]
    public async Task AReadOnlyTransaction_IsAReadOnlyError()
    {
        await using var readOnly = await PostgresAdapter.OpenAsync(
            new NpgsqlConnectionStringBuilder(_schema) { Options = "-c default_transaction_read_only=on" }.ConnectionString,
            new PersistenceAdapterOptions { KeyPrefix = "app:", CreateTables = false }, Ct);
        Assert.Equal(1, await _adapter.CircuitBreakers.RecordFailureAsync("k", 10, Ct));
        Assert.Equal(1, (await readOnly.CircuitBreakers.GetStateAsync("k", Ct))!.FailureCount);

        var error = await Assert.ThrowsAsync<PersistenceException>(async () => await readOnly.CircuitBreakers.RecordFailureAsync("k", 10, Ct));
        Assert.Equal((PersistenceErrorKind.ReadOnly, "25006"), (error.Kind, error.SqlState));
        Assert.Contains("read-only", error.Message, StringComparison.Ordinal);
        Assert.Equal(1, (await _adapter.CircuitBreakers.GetStateAsync("k", Ct))!.FailureCount);
    }

    [Fact]
    public async Task AConstraintTheServerEnforces_IsAConstraintError()
    {
        // A rule an operator added to the table: cache values at most 10 characters.
        await ExecuteAsync("ALTER TABLE go_goscope_cache ADD CONSTRAINT short_values CHECK (length(value) <= 10)");
        await _adapter.Cache.SetAsync("ok", "short", cancellationToken: Ct);
        var error = await Assert.ThrowsAsync<PersistenceException>(async () => await _adapter.Cache.SetAsync("long", new string('x', 50), cancellationToken: Ct));
        Assert.Equal((PersistenceErrorKind.Constraint, "23514"), (error.Kind, error.SqlState));
        Assert.False(await _adapter.Cache.HasAsync("long", Ct));
    }

    [Fact]
    public async Task AKeyTooLargeForAnIndexEntry_IsATypedErrorThatSaysSo()
    {
        // Random text does not compress: a key of 8,000 bytes cannot fit a B-tree entry (about 2,700 bytes).
        var key = string.Concat(Enumerable.Range(0, 250).Select(_ => Guid.NewGuid().ToString("N")));
        var error = await Assert.ThrowsAsync<PersistenceException>(async () => await _adapter.Cache.SetAsync(key, 1, cancellationToken: Ct));
        Assert.Equal("54000", error.SqlState);
        Assert.Contains("B-tree index entry", error.Message, StringComparison.Ordinal);
        Assert.Empty(await _adapter.Cache.KeysAsync(cancellationToken: Ct));
    }

    [Fact]
    public async Task AFullDisk_IsAFullError_AndLosesNothingThatWasStored()
    {
        Assert.SkipWhen(Environment.UserName != "root" || !OperatingSystem.IsLinux(), "Mounting a small tmpfs for the tablespace needs root (CI runs as root).");
        await PostgresServer.RequireAsync();
        var mount = Directory.CreateTempSubdirectory("nap-full-").FullName;
        await RunAsync("mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", mount);
        try
        {
            await RunAsync("chown", "postgres", mount);
            var space = "full_" + Guid.NewGuid().ToString("N")[..8];
            await ExecuteAsync($"CREATE TABLESPACE {space} LOCATION '{mount}'");
            try
            {
                // The idempotency table moves to the 1 MiB tablespace; writes fill it.
                await ExecuteAsync($"ALTER TABLE go_goscope_idempotency SET TABLESPACE {space}");
                await ExecuteAsync($"ALTER INDEX go_goscope_idempotency_pkey SET TABLESPACE {space}");
                await _adapter.Idempotency.SetAsync("first", "kept", cancellationToken: Ct);
                PersistenceException? full = null;
                for (var i = 0; i < 2000 && full is null; i++)
                {
                    try
                    {
                        // Random text: it does not compress, so every value takes its room.
                        await _adapter.Idempotency.SetAsync("k" + i, string.Concat(Enumerable.Range(0, 125).Select(_ => Guid.NewGuid().ToString("N"))), cancellationToken: Ct);
                    }
                    catch (PersistenceException e)
                    {
                        full = e;
                    }
                }

                Assert.NotNull(full);
                Assert.Equal((PersistenceErrorKind.Full, "53100"), (full.Kind, full.SqlState));
                Assert.Contains("disk is full", full.Message, StringComparison.Ordinal);
                Assert.Equal("kept", (await _adapter.Idempotency.GetAsync<string>("first", Ct))!.Value);
            }
            finally
            {
                await ExecuteAsync("DROP TABLE go_goscope_idempotency");
                await ExecuteAsync($"DROP TABLESPACE {space}");
            }
        }
        finally
        {
            await RunAsync("umount", mount);
            Directory.Delete(mount);
        }
    }

    private async Task ExecuteAsync(string sql)
    {
        await using var source = NpgsqlDataSource.Create(_schema);
        await using var command = source.CreateCommand(sql);
        await command.ExecuteNonQueryAsync(Ct);
    }

    private static async Task RunAsync(string file, params string[] args)
    {
        using var process = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo(file, args) { RedirectStandardError = true })!;
        var error = await process.StandardError.ReadToEndAsync(Ct);
        await process.WaitForExitAsync(Ct);
        Assert.True(process.ExitCode == 0, $"{file} {string.Join(' ', args)}: {error}");
    }
}
