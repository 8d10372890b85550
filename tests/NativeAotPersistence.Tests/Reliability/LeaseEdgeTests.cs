using System.Globalization;
using NativeAotPersistence.Tests.Conformance;
using NativeAotPersistence.Tests.Sqlite;
using Npgsql;

namespace NativeAotPersistence.Tests.Reliability;

public sealed class LeaseEdgeTests_Sqlite : LeaseEdgeTests<SqliteFileBackend>
{
    protected override string HostDatabase => Backend.Path;

    /// <summary>Another connection holds the file's write lock (BEGIN IMMEDIATE) until disposed.</summary>
    protected override Task<IAsyncDisposable> BlockWritesAsync()
    {
        var raw = new RawSqlite(Backend.Path);
        raw.Exec("BEGIN IMMEDIATE");
        return Task.FromResult<IAsyncDisposable>(new Releaser(() =>
        {
            raw.Exec("COMMIT");
            raw.Dispose();
        }));
    }

    protected override async ValueTask ExecuteRawAsync(IPersistenceAdapter adapter, string sql, params object?[] args) =>
        await SqliteBackend.ExecuteAsync(adapter, sql, args.Select(a => a is Utf8 u ? u.Text : a).ToArray());
}

public sealed class LeaseEdgeTests_Postgres : LeaseEdgeTests<PostgresBackend>
{
    private string? _connectionString;

    protected override string HostDatabase => "pg:" + _connectionString;

    // Every grant is a committed transaction: it waits for the server's WAL flush.
    protected override bool GrantsWithinAMillisecond => false;

    public override async ValueTask InitializeAsync()
    {
        _connectionString = await Backend.ConnectionStringAsync();
        await base.InitializeAsync();
    }

    /// <summary>Another session holds the locks table (LOCK TABLE … ACCESS EXCLUSIVE) until disposed.</summary>
    protected override async Task<IAsyncDisposable> BlockWritesAsync()
    {
        var connection = new NpgsqlConnection(_connectionString);
        await connection.OpenAsync();
        var transaction = await connection.BeginTransactionAsync();
        await using (var command = new NpgsqlCommand("LOCK TABLE go_goscope_locks IN ACCESS EXCLUSIVE MODE", connection, transaction))
        {
            await command.ExecuteNonQueryAsync();
        }

        return new Releaser(() =>
        {
            transaction.Commit();
            connection.Dispose();
        });
    }

    protected override async ValueTask ExecuteRawAsync(IPersistenceAdapter adapter, string sql, params object?[] args)
    {
        // PostgreSQL keys and owners are bytea, numbered $1, $2… instead of ?1, ?2…
        var converted = args.Select(a => a is Utf8 u ? System.Text.Encoding.UTF8.GetBytes(u.Text) : a ?? DBNull.Value).ToArray();
        await Backend.ExecuteAsync(System.Text.RegularExpressions.Regex.Replace(sql, @"\?(\d)", "$$$1"), converted!);
    }
}

/// <summary>
/// Leases at their edges, on a real store (a SQLite file, a PostgreSQL server) with real time and real processes: a
/// grant delayed by a busy store, leases too short to hand over, holders that die on this host, in another PID
/// namespace, or whose PID is reused.
/// </summary>
public abstract class LeaseEdgeTests<TBackend> : IAsyncLifetime
    where TBackend : Backend, new()
{
    protected TBackend Backend { get; } = new();

    protected abstract string HostDatabase { get; }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(60);

    public virtual ValueTask InitializeAsync() => default;

    public async ValueTask DisposeAsync()
    {
        await Backend.DisposeAsync();
        GC.SuppressFinalize(this);
    }

    protected abstract Task<IAsyncDisposable> BlockWritesAsync();

    /// <summary>Runs SQL with ?1, ?2… parameters against the test's store; keys and owners are passed as <see cref="Utf8"/>.</summary>
    protected abstract ValueTask ExecuteRawAsync(IPersistenceAdapter adapter, string sql, params object?[] args);

    private ValueTask<IPersistenceAdapter> OpenAsync() =>
        Backend.OpenAsync(new PersistenceAdapterOptions { TimeProvider = TimeProvider.System, BusyTimeout = TimeSpan.FromSeconds(20) });

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task AGrantDelayedByABusyStore_CountsFromTheGrant_AndIsNeverHandedOverExpired(bool autoExtend)
    {
        var p = await OpenAsync();
        var other = await OpenAsync();

        // Auto-renewed, the lease is kept by renewals every third of its TTL: 500 ms leaves room for a loaded machine (a
        // CI run, a server on two busy cores) where 100 ms renewals were sometimes late; the grant still comes 300 ms
        // after the call, so a lease counted from the call would expire 300 ms early and fail the check below.
        var ttl = TimeSpan.FromMilliseconds(autoExtend ? 500 : 100);
        Task<ILockHandle?> acquiring;
        Task<LeaseGrant> granting;
        DateTimeOffset freedAt;
        await using (await BlockWritesAsync())
        {
            acquiring = p.Locks.AcquireAsync("job", new LockOptions { Ttl = ttl, AutoExtend = autoExtend }, Ct).AsTask();

            // The store's grant itself, under the lease logic (which would hand a late grant back and ask again).
            granting = ((ILeaseStore)p.Locks).GrantAsync("direct", "me", 100, Ct).AsTask();
            await Task.Delay(300, Ct);
            Assert.False(acquiring.IsCompleted);
            freedAt = DateTimeOffset.UtcNow;
        }

        var grant = await granting.WaitAsync(s_timeout, Ct);
        Assert.True(grant.ExpiresAtMs >= freedAt.ToUnixTimeMilliseconds() + 99, $"granted until {grant.ExpiresAtMs}, store freed at {freedAt.ToUnixTimeMilliseconds()}");
        await using var handle = await acquiring.WaitAsync(s_timeout, Ct);
        Assert.NotNull(handle);
        Assert.False(handle.HandleLost.IsCancellationRequested);

        // The lease counts from the grant, which came after the store was free, not from the call 300 ms earlier.
        var info = await p.Locks.GetInfoAsync("job", Ct);
        Assert.NotNull(info);
        Assert.True(info.ExpiresAt >= freedAt + ttl - TimeSpan.FromMilliseconds(1), $"expires {info.ExpiresAt:O}, store freed {freedAt:O}");
        if (DateTimeOffset.UtcNow < info.ExpiresAt - TimeSpan.FromMilliseconds(30))
        {
            Assert.Null(await other.Locks.AcquireAsync("job", TimeSpan.FromSeconds(1), "intruder", Ct));
        }

        if (autoExtend)
        {
            // Renewed: held well past its TTL.
            await Task.Delay(ttl * 2.5, Ct);
            Assert.False(handle.HandleLost.IsCancellationRequested);
            Assert.Equal(handle.Owner, (await other.Locks.GetInfoAsync("job", Ct))?.Owner);
        }
    }

    /// <summary>Whether a grant is handed over well within a millisecond (SQLite), or takes a commit's flush (a server).</summary>
    protected virtual bool GrantsWithinAMillisecond => true;

    [Fact]
    public async Task TinyTtls_GiveAHandle_OrTheTypedError_NeverNullNorAnythingElse()
    {
        var p = await OpenAsync();
        int handles = 0, tooShort = 0;
        for (var i = 0; i < 200; i++)
        {
            // 1 ms, the smallest TTL, and 5 ms auto-renewed. The old auto-renewing wrapper threw NullReferenceException when
            // its lease was lost before its timer existed; a lease that ended before its hand-over was returned anyway.
            foreach (var options in new[] { new LockOptions { Ttl = TimeSpan.FromMilliseconds(1) }, new LockOptions { Ttl = TimeSpan.FromMilliseconds(5), AutoExtend = true } })
            {
                try
                {
                    var handle = await p.Locks.AcquireAsync($"k{i}-{options.AutoExtend}", options, Ct);
                    Assert.NotNull(handle);
                    handles++;
                    await handle.ReleaseAsync(Ct);
                }
                catch (PersistenceException e) when (e.Kind == PersistenceErrorKind.Busy)
                {
                    // A lease shorter than a grant takes (a server's commit flush): said so, never handed over expired.
                    Assert.Contains("Use a TTL well above", e.Message, StringComparison.Ordinal);
                    tooShort++;
                }
            }
        }

        TestContext.Current.TestOutputHelper?.WriteLine($"{handles} handles, {tooShort} refused as too short for this store");
        if (GrantsWithinAMillisecond)
        {
            Assert.Equal(400, handles);
        }

        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () =>
            await p.Locks.AcquireAsync("too-short", new LockOptions { Ttl = TimeSpan.FromMilliseconds(1), AutoExtend = true }, Ct));
        Assert.Null(await p.Locks.GetInfoAsync("too-short", Ct));
    }

    [Fact]
    public async Task AHolderKilledOnThisHost_IsTakenOverAtOnce_ALiveOneNever()
    {
        using var holder = HostProcess.Start("hold-lock", HostDatabase, "job", "600000");
        var (token, pid) = await ReadHeldAsync(holder);
        var p = await OpenAsync();

        // Alive: it keeps its lock, whoever asks.
        var info = await p.Locks.GetInfoAsync("job", Ct);
        Assert.Equal(new LockHolder(pid, IsOnThisHost: true, IsGone: false), info?.Holder);
        Assert.Null(await p.Locks.AcquireAsync("job", TimeSpan.FromMinutes(1), "next", Ct));

        holder.Kill();
        await holder.WaitForExitAsync(s_timeout);
        Assert.Equal(new LockHolder(pid, IsOnThisHost: true, IsGone: true), (await p.Locks.GetInfoAsync("job", Ct))?.Holder);

        // Gone: taken over at once (its TTL has ten minutes left), with a larger token, and reported.
        var owner = "next-" + Guid.NewGuid().ToString("N");
        var takeovers = new TakeoverObserver(owner);
        PersistenceLockTakenOver? seen;
        using (PersistenceEvents.Subscribe(takeovers))
        {
            await using var handle = await p.Locks.AcquireAsync("job", TimeSpan.FromMinutes(1), owner, Ct);
            Assert.NotNull(handle);
            Assert.True(handle.FencingToken > token);
            seen = takeovers.Seen;
            Assert.Equal(new PersistenceLockTakenOver("job", $"holder-{pid}", owner, handle.FencingToken), seen);
        }
    }

    [Fact]
    public async Task APermitHolderKilledOnThisHost_FreesItsPermitAtOnce_ALiveOneNever()
    {
        using var holder = HostProcess.Start("hold-permit", HostDatabase, "pool", "1", "600000");
        var (token, pid) = await ReadHeldAsync(holder);
        var p = await OpenAsync();

        // Alive: its permit stays its own, whoever asks.
        var info = await p.Semaphores.GetInfoAsync("pool", Ct);
        Assert.Equal(new LockHolder(pid, IsOnThisHost: true, IsGone: false), Assert.Single(info!.Holders).Holder);
        Assert.Null(await p.Semaphores.AcquireAsync("pool", 1, TimeSpan.FromMinutes(1), "next", Ct));

        holder.Kill();
        await holder.WaitForExitAsync(s_timeout);

        // Gone: its permit (ten minutes of TTL left) is free at once, and the next grant has a larger token.
        await using var handle = await p.Semaphores.AcquireAsync("pool", 1, TimeSpan.FromMinutes(1), "next", Ct);
        Assert.NotNull(handle);
        Assert.True(handle.FencingToken > token);
        Assert.Equal(["next"], (await p.Semaphores.GetInfoAsync("pool", Ct))!.Holders.Select(h => h.Owner));
    }

    [Fact]
    public async Task ALockHeldReentrantlyFromTwoProcesses_RecordsNoHolder_SoOneEndingLetsNobodyIn()
    {
        using var holder = HostProcess.Start("hold-lock", HostDatabase, "job", "600000");
        var (token, pid) = await ReadHeldAsync(holder);
        var p = await OpenAsync();

        // The same owner from this process: re-entrant (same token), and now held from two processes.
        await using var mine = await p.Locks.AcquireAsync("job", TimeSpan.FromMinutes(10), $"holder-{pid}", Ct);
        Assert.Equal(token, mine?.FencingToken);
        Assert.Null((await p.Locks.GetInfoAsync("job", Ct))?.Holder);

        // The other process ends: this one still holds the lock, so nobody may take it over.
        holder.Kill();
        await holder.WaitForExitAsync(s_timeout);
        Assert.Null(await p.Locks.AcquireAsync("job", TimeSpan.FromMinutes(1), "next", Ct));
        Assert.True(await mine!.IsValidAsync(Ct));
    }

    [Fact]
    public async Task APidReusedByANewerProcess_IsADifferentHolder()
    {
        var p = await OpenAsync();
        var self = HolderIdentity.Current;
        Assert.SkipWhen(self is null, "No process identity on this platform.");

        // Rows that name this very process by PID: once with its real start time (alive: this is it), once with an
        // earlier one (the PID now belongs to a process that started later: the holder is gone).
        var far = DateTimeOffset.UtcNow.AddMinutes(10).ToUnixTimeMilliseconds();
        await ExecuteRawAsync(p, "INSERT INTO go_goscope_locks(key, owner, expires_at, fencing_token, holder_host, holder_pid, holder_start) VALUES (?1, ?2, ?3, 1, ?4, ?5, ?6)",
            new Utf8("lock:alive"), new Utf8("ghost"), far, self.RecordFor("ghost"), self.ProcessId, self.StartTime);
        await ExecuteRawAsync(p, "INSERT INTO go_goscope_locks(key, owner, expires_at, fencing_token, holder_host, holder_pid, holder_start) VALUES (?1, ?2, ?3, 1, ?4, ?5, ?6)",
            new Utf8("lock:reused"), new Utf8("ghost"), far, self.RecordFor("ghost"), self.ProcessId, self.StartTime - 1);

        Assert.Null(await p.Locks.AcquireAsync("alive", TimeSpan.FromMinutes(1), "me", Ct));
        Assert.True((await p.Locks.GetInfoAsync("reused", Ct))?.Holder?.IsGone);
        Assert.NotNull(await p.Locks.AcquireAsync("reused", TimeSpan.FromMinutes(1), "me", Ct));
    }

    [Fact]
    public async Task HolderColumnsRecordedForAnotherOwner_AreNotTheHolders_TheTtlDecides()
    {
        var p = await OpenAsync();
        var self = HolderIdentity.Current;
        Assert.SkipWhen(self is null, "No process identity on this platform.");

        // A row whose owner was rewritten without its holder columns (as an older release did): the recorded process
        // (this one, with a start time that says it is long gone) is not the owner's, so nothing is taken over.
        var far = DateTimeOffset.UtcNow.AddMinutes(10).ToUnixTimeMilliseconds();
        await ExecuteRawAsync(p, "INSERT INTO go_goscope_locks(key, owner, expires_at, fencing_token, holder_host, holder_pid, holder_start) VALUES (?1, ?2, ?3, 1, ?4, ?5, ?6)",
            new Utf8("lock:rewritten"), new Utf8("new-owner"), far, self.RecordFor("old-owner"), self.ProcessId, self.StartTime - 1);

        var info = await p.Locks.GetInfoAsync("rewritten", Ct);
        Assert.Equal("new-owner", info?.Owner);
        Assert.Null(info?.Holder);
        Assert.Null(await p.Locks.AcquireAsync("rewritten", TimeSpan.FromMinutes(1), "me", Ct));
    }

    [Fact]
    public async Task AHolderKilledButNeverReaped_IsGone()
    {
        Assert.SkipWhen(!OperatingSystem.IsLinux() || HolderIdentity.Current is null || !File.Exists("/bin/sh"), "Needs Linux and /bin/sh.");

        // Its parent (a shell that becomes `sleep`) never waits for it, so once killed it stays a zombie: its PID is
        // still taken, and kill(pid, 0) still succeeds. Stdin goes through fd 3 (a background job's own is /dev/null).
        using var parent = HostProcess.StartUnder(["/bin/sh", "-c", "exec 3<&0; \"$0\" \"$@\" <&3 & exec sleep 120"], "hold-lock", HostDatabase, "job", "600000");
        var (_, pid) = await ReadHeldAsync(parent);
        var p = await OpenAsync();
        Assert.False((await p.Locks.GetInfoAsync("job", Ct))?.Holder?.IsGone);

        using (var kill = System.Diagnostics.Process.Start("kill", ["-KILL", pid.ToString(CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync(Ct);
        }

        var stat = $"/proc/{pid}/stat";
        var deadline = DateTime.UtcNow + s_timeout;
        while (File.ReadAllText(stat).Split(')')[^1].Split(' ', StringSplitOptions.RemoveEmptyEntries) is var fields && (fields[0] != "Z" || fields[17] != "1"))
        {
            // Until its last thread is gone it is still exiting (a live process whose main thread ended looks the same).
            Assert.True(DateTime.UtcNow < deadline, $"The killed holder never became a zombie: {string.Join(' ', fields)}");
            await Task.Delay(10, Ct);
        }

        Assert.True((await p.Locks.GetInfoAsync("job", Ct))?.Holder?.IsGone);
        Assert.NotNull(await p.Locks.AcquireAsync("job", TimeSpan.FromMinutes(1), "next", Ct));
        Assert.True(File.Exists(stat), "The zombie was reaped before the takeover; the test proved nothing.");
    }

    [Fact]
    public async Task AHolderInAnotherPidNamespace_StandsForAnotherHost_AndIsJudgedByItsTtl()
    {
        Assert.SkipWhen(!OperatingSystem.IsLinux() || !File.Exists("/usr/bin/unshare"), "Needs Linux and unshare (util-linux).");
        Assert.SkipWhen(Environment.UserName != "root", "unshare --pid needs root (CI runs as root).");

        // A container of sorts: its own PID namespace, with its own /proc, on the same machine and boot.
        using var holder = HostProcess.StartUnder(["/usr/bin/unshare", "--pid", "--fork", "--mount-proc"], "hold-lock", HostDatabase, "job", "3000");
        var (_, pidInside) = await ReadHeldAsync(holder);
        var p = await OpenAsync();
        var info = await p.Locks.GetInfoAsync("job", Ct);
        Assert.Equal(new LockHolder(pidInside, IsOnThisHost: false, IsGone: false), info?.Holder);

        // Killed: this host cannot tell (its PIDs mean nothing here), so the lock waits out its TTL.
        KillNamespace(holder.Id);
        await holder.WaitForExitAsync(s_timeout);
        Assert.Null(await p.Locks.AcquireAsync("job", TimeSpan.FromMinutes(1), "next", Ct));
        var acquired = await p.Locks.AcquireAsync("job", new LockOptions { Ttl = TimeSpan.FromMinutes(1), Owner = "next", Wait = TimeSpan.FromSeconds(30) }, Ct);
        Assert.NotNull(acquired);
        Assert.True(DateTimeOffset.UtcNow >= info!.ExpiresAt);
    }

    private static async Task<(long Token, long Pid)> ReadHeldAsync(HostProcess holder)
    {
        var line = await holder.ReadLineAsync(s_timeout);
        Assert.NotNull(line);
        Assert.StartsWith("HELD ", line, StringComparison.Ordinal);
        var parts = line.Split(' ');
        return (long.Parse(parts[1], CultureInfo.InvariantCulture), long.Parse(parts[2], CultureInfo.InvariantCulture));
    }

    /// <summary>SIGKILL to the namespace's first process (the child of unshare), which ends every process in it.</summary>
    private static void KillNamespace(int unsharePid)
    {
        var children = File.ReadAllText($"/proc/{unsharePid}/task/{unsharePid}/children").Split(' ', StringSplitOptions.RemoveEmptyEntries);
        foreach (var child in children)
        {
            using var kill = System.Diagnostics.Process.Start("kill", ["-KILL", child]);
            kill.WaitForExit();
        }
    }

    private sealed class TakeoverObserver(string owner) : IPersistenceEventObserver
    {
        public PersistenceLockTakenOver? Seen { get; private set; }

        public void OnLockTakenOver(PersistenceLockTakenOver e)
        {
            if (e.Owner == owner)
            {
                Seen = e;
            }
        }
    }
}

/// <summary>A key or owner in raw SQL: text on SQLite, its UTF-8 bytes (bytea) on PostgreSQL.</summary>
internal sealed record Utf8(string Text);

/// <summary>Runs an action on disposal (for test helpers that hold something).</summary>
internal sealed class Releaser(Action release) : IAsyncDisposable
{
    public ValueTask DisposeAsync()
    {
        release();
        return ValueTask.CompletedTask;
    }
}
