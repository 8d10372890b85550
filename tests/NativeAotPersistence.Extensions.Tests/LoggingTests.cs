using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using NativeAotPersistence.Tests;

namespace NativeAotPersistence.Extensions.Tests;

/// <summary>
/// The library's events reach the host's <see cref="ILogger"/> under the category <c>NativeAotPersistence</c> while the
/// host runs. Observers are process-wide, so other tests' events may appear too: the assertions look for this test's own.
/// </summary>
public sealed class LoggingTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task SchemaCreation_Transitions_AndPayloadErrors_AreLogged_OnlyWhileTheHostRuns()
    {
        var path = _dir.File("logged.db");
        var logs = new CapturingLoggerProvider();
        using var host = TestHosts.Build(_dir.Path, services =>
        {
            services.AddLogging(b => b.AddProvider(logs));
            services.AddNativeAotPersistence(o => o.Path = path);
        });

        await host.StartAsync(Ct);
        var provider = host.Services.GetRequiredService<ICircuitBreakerStateProvider>();
        var breaker = new CircuitBreaker(provider, "logged-upstream", new CircuitBreakerOptions { FailureThreshold = 1 });
        await Assert.ThrowsAsync<TimeoutException>(async () => await breaker.ExecuteAsync<int>(_ => throw new TimeoutException(), Ct));
        var cache = host.Services.GetRequiredService<ICacheProvider>();
        await cache.SetAsync("logged-text", "x", cancellationToken: Ct);
        await Assert.ThrowsAsync<PayloadFormatException>(async () => await cache.GetAsync<int>("logged-text", Ct));

        // A lock that expires without being renewed, and a damaged row a listing skips.
        var locks = host.Services.GetRequiredService<ILockProvider>();
        var handle = await locks.AcquireAsync("logged-lock", TimeSpan.FromMilliseconds(50), "logged-owner", Ct);
        var lost = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using (handle!.HandleLost.Register(lost.SetResult))
        {
            await lost.Task.WaitAsync(TimeSpan.FromSeconds(30), Ct);
        }

        await provider.RecordFailureAsync("logged-damaged", 5, Ct);
        SQLitePCL.raw.sqlite3_open(path, out var raw);
        using (raw)
        {
            Assert.Equal(SQLitePCL.raw.SQLITE_OK, SQLitePCL.raw.sqlite3_exec(raw, "UPDATE go_goscope_circuit SET updated_at = 9223372036854775000 WHERE key = 'circuit:logged-damaged'"));
        }

        var admin = ((SqliteAdapter)host.Services.GetRequiredService<IPersistenceAdapter>()).Admin;
        Assert.DoesNotContain(await admin.ListCircuitsAsync(Ct), c => c.Key == "logged-damaged");
        await host.StopAsync(Ct);

        var mine = logs.Entries.Where(e => e.Category == "NativeAotPersistence").ToList();
        Assert.Contains(mine, e => e.Level == LogLevel.Information && e.Message == $"Created the schema (version {NativeAotPersistence.Backends.SchemaRules.CurrentVersion}) in sqlite '{Path.GetFullPath(path)}'");
        Assert.Contains(mine, e => e.Level == LogLevel.Warning && e.Message == "Circuit 'logged-upstream': Closed -> Open");
        Assert.Contains(mine, e => e.Level == LogLevel.Error && e.Message == "A stored value did not parse during 'cache.get' (key 'logged-text')" && e.Exception is PayloadFormatException);
        Assert.Contains(mine, e => e.Level == LogLevel.Warning && e.Message == $"Lock 'logged-lock' held by 'logged-owner' (fencing token {handle.FencingToken}) was lost before it was released: Expired");
        Assert.Contains(mine, e => e.Level == LogLevel.Error && e.Message == "'admin.circuits' skipped a row of go_goscope_circuit it could not read (key 'logged-damaged')"
            && e.Exception is PersistenceException { Kind: PersistenceErrorKind.Corrupt });

        // After the host stopped, nothing of this host is logged any more.
        var count = logs.Entries.Count;
        await (await SqliteAdapter.OpenAsync(_dir.File("after.db"))).DisposeAsync();
        Assert.DoesNotContain(logs.Entries.Skip(count), e => e.Message.Contains("after.db", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ANegativeBusyWaitThreshold_FailsStart_WithItsName()
    {
        using var host = TestHosts.Build(_dir.Path, services =>
            services.AddNativeAotPersistence(o => { o.Path = _dir.File("x.db"); o.BusyWaitLogThreshold = TimeSpan.FromSeconds(-1); }));
        var e = await Assert.ThrowsAnyAsync<Exception>(async () => await host.StartAsync(Ct));
        Assert.Contains("BusyWaitLogThreshold must be zero or positive", e.Message, StringComparison.Ordinal);
    }

    private sealed class CapturingLoggerProvider : ILoggerProvider
    {
        private readonly List<Entry> _entries = [];

        public IReadOnlyList<Entry> Entries
        {
            get
            {
                lock (_entries)
                {
                    return [.. _entries];
                }
            }
        }

        public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

        public void Dispose()
        {
        }

        public sealed record Entry(string Category, LogLevel Level, string Message, Exception? Exception);

        private sealed class Logger(CapturingLoggerProvider provider, string category) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                lock (provider._entries)
                {
                    provider._entries.Add(new Entry(category, logLevel, formatter(state, exception), exception));
                }
            }
        }
    }
}
