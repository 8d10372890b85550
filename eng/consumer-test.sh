#!/usr/bin/env bash
# Consumes the packed NativeAotPersistence package the way a stranger does: a brand-new console project, the package
# from a local folder, a [Payload] context, NativeAOT publish with zero warnings, a working run; then proves that the
# generator's NAP0011 call-site diagnostic reaches that project.
# Usage: eng/consumer-test.sh <folder with the .nupkg files> <work directory>
set -u
here=$(cd "$(dirname "$0")" && pwd)
feed=$(cd "$1" && pwd)
work=$2
rm -rf "$work" && mkdir -p "$work" && cd "$work" || exit 1

version=$(ls "$feed"/NativeAotPersistence.[0-9]*.nupkg | grep -v snupkg | head -1 | sed -E 's/.*NativeAotPersistence\.([0-9][^/]*)\.nupkg/\1/')
echo "consumer: NativeAotPersistence $version from $feed"

# The README's Install section, step by step.
label=consumer
. "$here/consumer-lib.sh"
new_consumer "$feed" Consumer "NativeAotPersistence@$version" || exit 1

cat > Program.cs <<'CS'
using System.Threading.RateLimiting;
using NativeAotPersistence;

var path = Path.Combine(Path.GetTempPath(), $"consumer-{Environment.ProcessId}.db");
await using (var p = await SqliteAdapter.OpenAsync(path, new PersistenceAdapterOptions { KeyPrefix = "consumer:", Payloads = ConsumerPayloads.Default }))
{
    await p.Cache.SetAsync("order:1", new Order("1", 42.5m, ["a", "b"]), TimeSpan.FromMinutes(5));
    var order = await p.Cache.GetAsync<Order>("order:1");

    var breaker = new CircuitBreaker(p.CircuitBreakers, "upstream", new CircuitBreakerOptions { FailureThreshold = 1 });
    try { await breaker.ExecuteAsync<int>(_ => throw new TimeoutException()); } catch (TimeoutException) { }
    var open = await breaker.GetStateAsync() == CircuitState.Open;

    // The fleet breaker: the failure-ratio mode, a growing break, isolation by hand.
    var fleet = new CircuitBreaker(p.CircuitBreakers, "fleet", new CircuitBreakerOptions
    {
        FailureRatio = 0.5, MinimumThroughput = 2, SamplingDuration = TimeSpan.FromSeconds(10),
        BreakDurationGenerator = a => ValueTask.FromResult(TimeSpan.FromSeconds(1 << Math.Min(a.ReopenCount, 10))),
    });
    await fleet.IsolateAsync();
    var isolated = false;
    try { await fleet.ExecuteAsync(_ => ValueTask.FromResult(1)); } catch (CircuitBreakerOpenException e) { isolated = e.IsIsolated; }
    await fleet.CloseAsync();
    open = open && isolated && await fleet.ExecuteAsync(_ => ValueTask.FromResult(2)) == 2;

    await p.Checkpoints.SaveAsync(new Checkpoint<Order>("import#1", "import", 1, DateTimeOffset.UtcNow, 50, order!));
    var latest = await p.Checkpoints.LoadLatestAsync<Order>("import");

    await using var first = await p.Semaphores.AcquireAsync("exports", 2, TimeSpan.FromMinutes(1));
    await using var second = await p.Semaphores.AcquireAsync("exports", 2, new LockOptions { AutoExtend = true, Ttl = TimeSpan.FromSeconds(5) });
    var third = await p.Semaphores.AcquireAsync("exports", 2, TimeSpan.FromMinutes(1));
    var semaphore = first is not null && second is not null && third is null && second.FencingToken > first.FencingToken;

    // Rate limiters whose budget is in the file (System.Threading.RateLimiting comes with the package).
    using var limiter = PersistentRateLimiter.CreateFixedWindow(p, "api", new FixedWindowRateLimiterOptions { PermitLimit = 2, Window = TimeSpan.FromMinutes(1) });
    using var perUser = PartitionedRateLimiter.Create<string, string>(user => PersistentRateLimitPartition.GetTokenBucketLimiter(
        p, "user:" + user, _ => new TokenBucketRateLimiterOptions { TokenLimit = 1, TokensPerPeriod = 1, ReplenishmentPeriod = TimeSpan.FromMinutes(1) }));
    var limited = limiter.AttemptAcquire().IsAcquired && (await limiter.AcquireAsync()).IsAcquired && !limiter.AttemptAcquire().IsAcquired
        && perUser.AttemptAcquire("a").IsAcquired && !perUser.AttemptAcquire("a").IsAcquired && (await perUser.AcquireAsync("b")).IsAcquired;

    // The cache that survives its sources: tags, a fail-safe row, GetOrSet's options across processes.
    var options = new GetOrSetOptions
    {
        Entry = new CacheEntryOptions { AbsoluteExpirationRelativeToNow = TimeSpan.FromMilliseconds(50), FailSafeMaxDuration = TimeSpan.FromMinutes(1), Tags = ["orders"] },
        FactoryHardTimeout = TimeSpan.FromSeconds(5), EagerRefreshThreshold = 0.9,
    };
    var fresh = await p.Cache.GetOrSetResultAsync("order:2", _ => ValueTask.FromResult(new Order("2", 7m, [])), options);
    await Task.Delay(100);
    var stale = await p.Cache.GetOrSetResultAsync<Order>("order:2", _ => throw new TimeoutException("source down"), options);
    var cached = fresh.Source == GetOrSetSource.Factory && stale.IsStale && stale.Value.Total == 7m && !await p.Cache.HasAsync("order:2")
        && await p.Cache.RemoveByTagAsync("orders") == 1;

    var ok = order == new Order("1", 42.5m, ["a", "b"]) && open && latest?.Data.Total == 42.5m && semaphore && limited && cached;
    Console.WriteLine(ok ? "consumer: ok" : "consumer: MISMATCH");
    Environment.ExitCode = ok ? 0 : 1;
}

File.Delete(path);

internal sealed record Order(string Id, decimal Total, List<string> Lines)
{
    public bool Equals(Order? other) => other is not null && Id == other.Id && Total == other.Total && Lines.SequenceEqual(other.Lines);
    public override int GetHashCode() => HashCode.Combine(Id, Total);
}

[Payload(typeof(Order))]
internal sealed partial class ConsumerPayloads : PayloadContext;
CS

rc=0
publish_consumer Consumer || rc=1
[ -x out/Consumer ] || exit 1
# One file: the package's buildTransitive targets link SQLite in (no property set here: on by default for NativeAOT on Linux).
if ls out/*.so >/dev/null 2>&1; then echo "consumer: a shared library sits beside the binary: $(ls out/*.so | xargs -n1 basename)"; rc=1; fi
if ldd out/Consumer | grep -q e_sqlite3; then ldd out/Consumer; echo "consumer: the binary loads libe_sqlite3 dynamically"; rc=1; fi
echo "consumer: one file, SQLite linked in (ldd shows no libe_sqlite3)"
./out/Consumer || { echo "consumer: the published binary failed"; rc=1; }
# Copied alone anywhere, it still runs.
mkdir -p alone && cp out/Consumer alone/ && (cd alone && ./Consumer) || { echo "consumer: the binary alone in a folder failed"; rc=1; }

# The README's quick start, verbatim, is the Program.cs of a new console app on the package: it builds with zero
# warnings and runs (twice: the second run finds the first one's receipt).
cd .. || exit 1
new_consumer "$feed" QuickStart "NativeAotPersistence@$version" || exit 1
awk '/<!-- snippet: program QuickStart -->/{f=1; next} f && /^```csharp/{p=1; next} p && /^```/{exit} p' "$here/../README.md" > Program.cs
[ -s Program.cs ] || { echo "consumer: the README has no quick start to build"; exit 1; }
if dotnet build -c Release -o bin-qs > build.log 2>&1 && ! grep -qE "warning [A-Z]+[0-9]+" build.log; then
  (cd bin-qs && ./QuickStart > ../first.txt && ./QuickStart > ../second.txt) \
    && grep -q "^cached order 42: 19.90" first.txt && [ "$(grep '^charge 42:' first.txt)" = "$(grep '^charge 42:' second.txt)" ] \
    && echo "consumer: the README's quick start builds as it is, with no warning, and runs ($(grep -c '' first.txt) lines, the same receipt twice)" \
    || { cat first.txt second.txt; echo "consumer: the README's quick start did not run as documented"; rc=1; }
else
  cat build.log | grep -E "error|warning" | head -20; echo "consumer: the README's quick start does not build cleanly"; rc=1
fi
cd ../Consumer || exit 1

# The generator ships in the package: an unregistered payload type is a compile-time NAP0011 at the call site.
cat > Unregistered.cs <<'CS'
using NativeAotPersistence;
internal sealed record NotRegistered(int X);
internal static class Misuse
{
    public static ValueTask Store(ICacheProvider cache) => cache.SetAsync("k", new NotRegistered(1));
}
CS
dotnet build -c Release -p:TreatWarningsAsErrors=false > nap.log 2>&1
if grep -q "NAP0011" nap.log && grep -q "Payload(typeof(NotRegistered))" nap.log; then
  echo "consumer: NAP0011 reported at the call site, with the fix"
else
  cat nap.log | tail -20; echo "consumer: NAP0011 was not reported"; rc=1
fi
rm Unregistered.cs

# The footprint of the smallest useful program: open a file, set and get one cache entry, published the way a size-minded
# user publishes (OptimizationPreference=Size, InvariantGlobalization, no stack-trace data, PublishSingleFile, which a NativeAOT binary already is);
# one static file at or under 3.5 MiB (3,670,016 bytes).
cd .. || exit 1
label=minimal
new_consumer "$feed" Minimal "NativeAotPersistence@$version" -- "  <OptimizationPreference>Size</OptimizationPreference>\n    <StackTraceSupport>false</StackTraceSupport>\n    <PublishSingleFile>true</PublishSingleFile>\n" || exit 1
cat > Program.cs <<'CS'
using NativeAotPersistence;

var path = Path.Combine(Path.GetTempPath(), $"minimal-{Environment.ProcessId}.db");
await using (var store = await SqliteAdapter.OpenAsync(path, new PersistenceAdapterOptions { Payloads = MinimalPayloads.Default }))
{
    await store.Cache.SetAsync("reading:1", new Reading("kitchen", 21.5), TimeSpan.FromMinutes(5));
    var reading = await store.Cache.GetAsync<Reading>("reading:1");
    Console.WriteLine(reading == new Reading("kitchen", 21.5) ? "minimal: ok" : "minimal: MISMATCH");
    Environment.ExitCode = reading == new Reading("kitchen", 21.5) ? 0 : 1;
}

File.Delete(path);

internal sealed record Reading(string Room, double Celsius);

[Payload(typeof(Reading))]
internal sealed partial class MinimalPayloads : PayloadContext;
CS
if publish_consumer Minimal; then
  size=$(stat -c %s out/Minimal)
  ./out/Minimal || { echo "minimal: the published binary failed"; rc=1; }
  if ls out/*.so >/dev/null 2>&1 || ldd out/Minimal | grep -q e_sqlite3; then ls out; echo "minimal: not one static file"; rc=1; fi
  echo "minimal: $size bytes ($((size / 1024)) KiB), gate 3,670,016 bytes (3.5 MiB)"
  [ "$size" -le 3670016 ] || { echo "minimal: over 3.5 MiB"; rc=1; }
else
  rc=1
fi
cd ../Consumer || exit 1

# Parity under NativeAOT, where users run it: the shapes that reach past the plain object (non-public members through
# UnsafeAccessor, init members of a generic type, System.Text.Json's own converters, enum names and keys, immutable
# collections, free-form JSON) are written byte for byte as System.Text.Json's source generator writes them, and each
# side reads the other's output to the same JSON.
cd .. || exit 1
label=parity
new_consumer "$feed" Parity "NativeAotPersistence@$version" || exit 1
cat > Program.cs <<'CS'
using System.Collections.Immutable;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using NativeAotPersistence;

var failures = 0;
Check(Payloads.Default.Shapes, Stj.Default.Shapes, Shapes.Sample());
Check(Payloads.Default.Shapes, Stj.Default.Shapes, new Shapes { Free = JsonDocument.Parse("null").RootElement.Clone() });
Check(Payloads.Default.GenericInitInt32, Stj.Default.GenericInitInt32, new GenericInit<int> { Value = 7 });
Console.WriteLine(failures == 0 ? "parity: ok (3 values, byte-identical both ways under NativeAOT)" : $"parity: {failures} MISMATCHES");
Environment.ExitCode = failures == 0 ? 0 : 1;

void Check<T>(PayloadTypeInfo<T> ours, JsonTypeInfo<T> theirs, T value)
{
    // Written alike; each side reads the other's output to what it reads its own to (a stack comes back reversed on both).
    var a = Encoding.UTF8.GetString(ours.Serialize(value));
    var b = JsonSerializer.Serialize(value, theirs);
    var c = JsonSerializer.Serialize(ours.Deserialize(Encoding.UTF8.GetBytes(b)), theirs);
    var d = Encoding.UTF8.GetString(ours.Serialize(JsonSerializer.Deserialize(a, theirs)!));
    var e = JsonSerializer.Serialize(JsonSerializer.Deserialize(b, theirs)!, theirs);
    if (a != b || c != e || d != e)
    {
        failures++;
        Console.WriteLine($"parity: {typeof(T).Name}\n ours  {a}\n stj   {b}\n read  {c}\n back  {d}\n stj's {e}");
    }
}

[Flags] public enum Perm { None = 0, [JsonStringEnumMemberName("read-it")] Read = 1, Write = 2, Admin = 8 }

public class GenericInit<T> { public T? Value { get; init; } }

public sealed class Shapes
{
    [JsonInclude] internal int Internal { get; set; }
    public string Name { get; init; } = "";
    public Perm Perm { get; set; }
    public Dictionary<Perm, int>? ByPerm { get; set; }
    public Dictionary<int, string>? ById { get; set; }
    public DateOnly Day { get; set; }
    public TimeOnly Time { get; set; }
    public Uri? Link { get; set; }
    public Version? Version { get; set; }
    public char Letter { get; set; }
    public Int128 Huge { get; set; }
    public Half Small { get; set; }
    public ImmutableArray<int> Numbers { get; set; } = ImmutableArray<int>.Empty;
    public ImmutableDictionary<string, int>? Map { get; set; }
    public HashSet<string>? Tags { get; set; }
    public Stack<int>? Stack { get; set; }
    public JsonElement Free { get; set; }
    public (int, string) Pair { get; set; }

    public static Shapes Sample() => new()
    {
        Internal = 3, Name = "n", Perm = Perm.Read | Perm.Write, ByPerm = new() { [Perm.Read | Perm.Admin] = 1, [(Perm)4] = 2 },
        ById = new() { [1] = "a", [-2] = "b" }, Day = new DateOnly(2026, 12, 4), Time = new TimeOnly(1, 2, 3, 4), Link = new Uri("https://example.com/a b"),
        Version = new Version(1, 2, 3), Letter = '"', Huge = Int128.MaxValue, Small = (Half)1.5, Numbers = [1, 2], Map = ImmutableDictionary<string, int>.Empty.Add("k", 1),
        Tags = ["x"], Stack = new Stack<int>([1, 2]), Free = JsonDocument.Parse("""{"a":[1,2.50,null]}""").RootElement.Clone(), Pair = (1, "p"),
    };
}

[Payload(typeof(Shapes))]
[Payload(typeof(GenericInit<int>))]
internal sealed partial class Payloads : PayloadContext;

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, IncludeFields = true, UseStringEnumConverter = true)]
[JsonSerializable(typeof(Shapes))]
[JsonSerializable(typeof(GenericInit<int>))]
internal sealed partial class Stj : JsonSerializerContext;
CS
publish_consumer Parity || rc=1
./out/Parity || { echo "parity: the published binary failed"; rc=1; }
exit $rc
