using System.Globalization;
using Microsoft.Extensions.Time.Testing;

namespace NativeAotPersistence.Tests.Conformance;

/// <summary>
/// Randomized model test for the other four providers: circuit state, idempotency records, checkpoints and
/// Database-scope locks (fencing tokens included), SQLite against <see cref="InMemoryPersistence"/> step by step.
/// </summary>
public sealed class MixedModelTests
{
    private static readonly string[] Keys = ["a", "b", "A", "a_", "a%", "😀", "\uE000"];

    private static readonly string[] Owners = ["o1", "o2", "o3"];

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(11)]
    [InlineData(12)]
    public async Task RandomProviderOperations_MatchInMemory(int seed)
    {
        var time = new FakeTimeProvider(Backend.Start);
        var options = new PersistenceAdapterOptions { KeyPrefix = "mix:", TimeProvider = time, LockScope = LockScope.Database };
        await using var sqlite = await SqliteAdapter.OpenAsync(":memory:", options);
        await using var memory = new InMemoryPersistence(options);
        await memory.ConnectAsync(Ct);

        var random = new Random(seed);
        for (var step = 0; step < 5_000; step++)
        {
            var op = random.Next(22);
            var key = Keys[random.Next(Keys.Length)];
            var other = Keys[random.Next(Keys.Length)];
            var number = random.Next(-1, 6);
            var owner = Owners[random.Next(Owners.Length)];
            var ttl = TimeSpan.FromTicks(random.NextInt64(1, 30 * TimeSpan.TicksPerMillisecond));
            var expected = await RunAsync(sqlite, op, key, other, number, owner, ttl);
            var actual = await RunAsync(memory, op, key, other, number, owner, ttl);
            Assert.True(expected == actual, $"step {step}, op {op} ({key}, {other}, {number}, {owner}, {ttl}): SQLite gave '{expected}', InMemory gave '{actual}'");
            if (op == 21)
            {
                time.Advance(TimeSpan.FromTicks(random.NextInt64(0, 10 * TimeSpan.TicksPerMillisecond)));
            }
        }
    }

    private static async Task<string> RunAsync(IPersistenceAdapter p, int op, string key, string other, int number, string owner, TimeSpan ttl)
    {
        try
        {
            switch (op)
            {
                case 0:
                case 1:
                    return S(await p.CircuitBreakers.RecordFailureAsync(key, number, Ct));
                case 2:
                    await p.CircuitBreakers.RecordSuccessAsync(key, Ct);
                    return "ok";
                case 3:
                    return S(await p.CircuitBreakers.GetStateAsync(key, Ct));
                case 4:
                    await p.CircuitBreakers.SetStateAsync(key, new CircuitBreakerPersistedState((CircuitState)(number & 3), number, null, Backend.Start.AddTicks(number * 7777)), Ct);
                    return "ok";
                case 5:
                    await p.Idempotency.SetAsync(key, other, number == 0 ? null : ttl, Ct);
                    return "ok";
                case 6:
                    return S(await p.Idempotency.GetAsync<string>(key, Ct));
                case 7:
                    return S(await p.Idempotency.DeleteAsync(key, Ct));
                case 8:
                case 9:
                    await p.Checkpoints.SaveAsync(new Checkpoint<string>(other, key, number, Backend.Start.AddTicks(number * 12345), number * 20, other + number, number > 2 ? ttl : null), Ct);
                    return "ok";
                case 10:
                    return S(await p.Checkpoints.LoadLatestAsync<string>(key, Ct));
                case 11:
                    return S(await p.Checkpoints.LoadAsync<string>(other, Ct));
                case 12:
                    return string.Join("|", (await p.Checkpoints.ListAsync(key, Ct)).Select(S));
                case 13:
                    await p.Checkpoints.CleanupAsync(key, number, Ct);
                    return "ok";
                case 14:
                    await p.Checkpoints.DeleteAllAsync(key, Ct);
                    return "ok";
                case 15:
                case 16:
                    var handle = await p.Locks.AcquireAsync(key, ttl, owner, Ct);
                    return handle is null ? "null" : $"{handle.Owner}#{handle.FencingToken}";
                case 17:
                    return S(await p.Locks.ExtendAsync(key, ttl, owner, Ct));
                case 18:
                    await p.Locks.ForceReleaseAsync(key, Ct);
                    return "ok";
                case 19:
                    return S(await p.Locks.GetInfoAsync(key, Ct));
                case 20:
                    // Which expired rows the amortized sweeps took first is SQLite's choice, so only lock counts compare.
                    return S((await p.PruneAsync(Ct)).Locks);
                default:
                    return "advance";
            }
        }
        catch (Exception e) when (e is ArgumentException or PayloadFormatException)
        {
            return e.GetType().Name;
        }
    }

    private static string S(object? value) => value switch
    {
        null => "<null>",
        int i => i.ToString(CultureInfo.InvariantCulture),
        bool b => b.ToString(),
        _ => value.ToString() ?? "",
    };
}
