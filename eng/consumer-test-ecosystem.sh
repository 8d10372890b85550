#!/usr/bin/env bash
# Consumes the packed NativeAotPersistence.Extensions and NativeAotPersistence.Polly packages the way a stranger does: a
# brand-new console project that adds only those two (the core and its payload generator come with them) and
# Microsoft.Extensions.Hosting, a [Payload] context, a generic host with AddNativeAotPersistence (options bound from
# configuration by the binder's source generator), IDistributedCache with sliding expiry, the typed ICacheProvider, and
# a Polly pipeline with AddPersistentCircuitBreaker; NativeAOT publish with zero warnings; the binary run twice on one
# file, the second run finding what the first one left (the breaker still open, the cache entries still there).
# Usage: eng/consumer-test-ecosystem.sh <folder with the .nupkg files> <work directory>
set -u
here=$(cd "$(dirname "$0")" && pwd)
feed=$(cd "$1" && pwd)
work=$2
rm -rf "$work" && mkdir -p "$work" && work=$(cd "$work" && pwd) && cd "$work" || exit 1
start=$SECONDS

version=$(ls "$feed"/NativeAotPersistence.Extensions.[0-9]*.nupkg | head -1 | sed -E 's/.*NativeAotPersistence\.Extensions\.([0-9][^/]*)\.nupkg/\1/')
ls "$feed"/NativeAotPersistence.Polly."$version".nupkg >/dev/null 2>&1 \
  || { echo "consumer-ecosystem: no NativeAotPersistence.Polly $version in $feed"; exit 1; }
echo "consumer-ecosystem: NativeAotPersistence.Extensions and .Polly $version from $feed"

# The local folder is added to the machine's usual NuGet sources (Polly.Core, Microsoft.Extensions.* come from there),
# exactly as eng/consumer-test.sh does. Microsoft.Extensions.Hosting at the version the repository uses
# (Directory.Packages.props), the one the Extensions package is built against.
label=consumer-ecosystem
. "$here/consumer-lib.sh"
new_consumer "$feed" EcoConsumer "NativeAotPersistence.Extensions@$version" "NativeAotPersistence.Polly@$version" \
  "Microsoft.Extensions.Hosting@10.0.0" -- '    <EnableConfigurationBindingGenerator>true</EnableConfigurationBindingGenerator>\n' || exit 1

cat > Program.cs <<'CS'
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using NativeAotPersistence;
using Polly;
using Polly.CircuitBreaker;

// EcoConsumer <database file> first|second: the same file for both runs; the second must find what the first left.
if (args.Length != 2 || args[1] is not ("first" or "second"))
{
    Console.Error.WriteLine("usage: EcoConsumer <database file> first|second");
    return 2;
}

var path = Path.GetFullPath(args[0]);
var first = args[1] == "first";
var run = first ? "first run" : "second run";
var checks = new Checks();
var expected = new Order("A-1", 42.5m, new Customer("Ada", "CH"), new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero), OrderStatus.Shipped);
var persistedBytes = "written by the first run"u8.ToArray();

try
{
    checks.That(File.Exists(path) != first, first ? "no database file before the first run" : "the database file of the first run is there");

    var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { ContentRootPath = AppContext.BaseDirectory });
    var events = new CapturedLog();
    builder.Logging.ClearProviders();
    builder.Logging.AddProvider(events);
    builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
    {
        ["Persistence:KeyPrefix"] = "eco:",
        ["Persistence:LockScope"] = "Database",
        ["Persistence:DefaultLockTtl"] = "00:00:20",
    });
    builder.Services.Configure<NativeAotPersistenceOptions>(builder.Configuration.GetSection("Persistence"));
    builder.Services.AddNativeAotPersistence(o =>
    {
        o.Path = path;
        o.UsePayloads(EcoPayloads.Default);
    });
    builder.Services.AddNativeAotPersistenceDistributedCache();

    using var host = builder.Build();
    await host.StartAsync();

    var options = host.Services.GetRequiredService<IOptions<NativeAotPersistenceOptions>>().Value;
    checks.That(options is { KeyPrefix: "eco:", LockScope: LockScope.Database } && options.Path == path && options.DefaultLockTtl == TimeSpan.FromSeconds(20),
        "options bound from configuration (generated binder) plus Path set in code");

    // IDistributedCache: ours, with sliding expiry renewed by Refresh and Get, Remove, the synchronous members.
    var cache = host.Services.GetRequiredService<IDistributedCache>();
    checks.That(cache is PersistenceDistributedCache, $"IDistributedCache is PersistenceDistributedCache (got {cache.GetType().Name})");
    var sliding = new DistributedCacheEntryOptions { SlidingExpiration = TimeSpan.FromSeconds(3) };
    await cache.SetAsync("dc:touched", "touched"u8.ToArray(), sliding);
    await cache.SetAsync("dc:untouched", "untouched"u8.ToArray(), sliding);
    checks.That((await cache.GetAsync("dc:touched"))?.SequenceEqual("touched"u8.ToArray()) == true, "IDistributedCache set/get");
    await Task.Delay(TimeSpan.FromMilliseconds(1600));
    await cache.RefreshAsync("dc:touched");
    await Task.Delay(TimeSpan.FromMilliseconds(1600));
    // 3.2 s after the set: past the 3 s window of the untouched entry, 1.6 s into the window the refresh renewed.
    checks.That(await cache.GetAsync("dc:touched") is not null, "IDistributedCache refresh renewed a sliding entry");
    checks.That(await cache.GetAsync("dc:untouched") is null, "IDistributedCache sliding entry expired untouched");
    await cache.RemoveAsync("dc:touched");
    checks.That(await cache.GetAsync("dc:touched") is null, "IDistributedCache remove");
    cache.Set("dc:sync", "sync"u8.ToArray(), sliding);
    checks.That(cache.Get("dc:sync")?.SequenceEqual("sync"u8.ToArray()) == true, "IDistributedCache synchronous set/get");

    // ICacheProvider: a typed payload through the generated serializers.
    var typed = host.Services.GetRequiredService<ICacheProvider>();
    await typed.SetAsync("order:fresh", expected, TimeSpan.FromMinutes(5));
    checks.That(await typed.GetAsync<Order>("order:fresh") == expected, "ICacheProvider typed set/get of a [Payload] record");

    // Polly: a persistent breaker on the registered provider; a second pipeline on the same key sees it open.
    var breakers = host.Services.GetRequiredService<ICircuitBreakerStateProvider>();
    var transitions = new List<string>();
    ResiliencePipeline<int> Pipeline() => new ResiliencePipelineBuilder<int>()
        .AddPersistentCircuitBreaker(breakers, "upstream", new PersistentCircuitBreakerOptions<int>
        {
            FailureThreshold = 3,
            ResetTimeout = TimeSpan.FromMinutes(10),
            ShouldHandle = new PredicateBuilder<int>().Handle<TimeoutException>(),
            OnStateChanged = a =>
            {
                transitions.Add($"{a.Transition.From} -> {a.Transition.To}");
                return ValueTask.CompletedTask;
            },
        })
        .Build();

    if (first)
    {
        var pipeline = Pipeline();
        checks.That(await pipeline.ExecuteAsync(static _ => ValueTask.FromResult(7)) == 7, "breaker closed: a call goes through");
        var failed = 0;
        for (var i = 0; i < 3; i++)
        {
            try
            {
                await pipeline.ExecuteAsync<int>(static _ => throw new TimeoutException("upstream down"));
            }
            catch (TimeoutException)
            {
                failed++;
            }
        }

        checks.That(failed == 3 && transitions.Contains("Closed -> Open"), $"3 failing calls opened the breaker (transitions: {string.Join(", ", transitions)})");
    }

    var state = await breakers.GetStateAsync("upstream");
    checks.That(state is { State: NativeAotPersistence.CircuitState.Open, FailureCount: >= 3 }, $"the provider holds the breaker open ({state})");

    var called = false;
    try
    {
        await Pipeline().ExecuteAsync(_ =>
        {
            called = true;
            return ValueTask.FromResult(1);
        });
        checks.That(false, "a new pipeline on the same key rejects the call (it ran)");
    }
    catch (BrokenCircuitException e)
    {
        checks.That(e is PersistentBrokenCircuitException { Key: "upstream" } p && p.RetryAfter > TimeSpan.Zero && !called,
            $"a new pipeline on the same key rejects with PersistentBrokenCircuitException ({e.GetType().Name}, retry after {e.RetryAfter})");
    }

    // What the second run must find.
    if (first)
    {
        await typed.SetAsync("order:persisted", expected, TimeSpan.FromHours(1));
        await cache.SetAsync("dc:persisted", persistedBytes, new DistributedCacheEntryOptions { AbsoluteExpirationRelativeToNow = TimeSpan.FromHours(1) });
    }
    else
    {
        checks.That(await typed.GetAsync<Order>("order:persisted") == expected, "the typed entry of the first run");
        checks.That((await cache.GetAsync("dc:persisted"))?.SequenceEqual(persistedBytes) == true, "the IDistributedCache entry of the first run");
    }

    await host.StopAsync();

    // The Extensions package logs the store's events under 'NativeAotPersistence' through the host's logging.
    checks.That(first
        ? events.Any("Created the schema") && !events.Any("Connected to sqlite")
        : events.Any("Connected to sqlite") && !events.Any("Created the schema"),
        first ? "log: schema created in a new file" : "log: connected to the first run's file, no schema created");
    if (first)
    {
        checks.That(events.Any("Circuit 'upstream': Closed -> Open"), "log: breaker opened");
    }
}
catch (Exception e)
{
    checks.That(false, $"unexpected {e}");
}

foreach (var failure in checks.Failures)
{
    Console.WriteLine($"eco-consumer ({run}): FAILED: {failure}");
}

Console.WriteLine(checks.Failures.Count == 0
    ? $"eco-consumer ({run}): ok, {checks.Passed} checks"
    : $"eco-consumer ({run}): {checks.Failures.Count} of {checks.Passed + checks.Failures.Count} checks failed");
return checks.Failures.Count == 0 ? 0 : 1;

internal enum OrderStatus { Placed, Shipped }

internal sealed record Customer(string Name, string Country);

internal sealed record Order(string Id, decimal Total, Customer Customer, DateTimeOffset PlacedAt, OrderStatus Status);

[Payload(typeof(Order))]
internal sealed partial class EcoPayloads : PayloadContext;

internal sealed class Checks
{
    public int Passed { get; private set; }

    public List<string> Failures { get; } = [];

    public void That(bool ok, string what)
    {
        if (ok)
        {
            Passed++;
        }
        else
        {
            Failures.Add(what);
        }
    }
}

/// <summary>Keeps the messages logged under the library's category, 'NativeAotPersistence'.</summary>
internal sealed class CapturedLog : ILoggerProvider, ILogger
{
    private readonly List<string> _messages = [];

    public bool Any(string text)
    {
        lock (_messages)
        {
            return _messages.Exists(m => m.Contains(text, StringComparison.Ordinal));
        }
    }

    public ILogger CreateLogger(string categoryName) => categoryName == "NativeAotPersistence" ? this : Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        lock (_messages)
        {
            _messages.Add(formatter(state, exception));
        }
    }

    public void Dispose()
    {
    }
}
CS

# The core package must have arrived through the two packages, not by a reference of this project.
grep -q '"NativeAotPersistence/'"$version"'"' obj/project.assets.json \
  || { echo "consumer-ecosystem: NativeAotPersistence $version did not arrive transitively"; exit 1; }
if grep -q 'Include="NativeAotPersistence"' EcoConsumer.csproj; then echo "consumer-ecosystem: the project references the core itself"; exit 1; fi

rc=0
publish_consumer EcoConsumer || rc=1
[ -x out/EcoConsumer ] || exit 1
if ls out/*.so >/dev/null 2>&1; then echo "consumer-ecosystem: a shared library sits beside the binary: $(ls out/*.so | xargs -n1 basename)"; rc=1; fi

./out/EcoConsumer "$work/eco.db" first || { echo "consumer-ecosystem: the first run failed"; rc=1; }
./out/EcoConsumer "$work/eco.db" second || { echo "consumer-ecosystem: the second run failed"; rc=1; }
echo "consumer-ecosystem: done in $((SECONDS - start)) s (exit $rc)"
exit $rc
