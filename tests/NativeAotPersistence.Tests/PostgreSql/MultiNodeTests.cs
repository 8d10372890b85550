using System.Globalization;
using Npgsql;

namespace NativeAotPersistence.Tests.PostgreSql;

/// <summary>
/// Issue 12, multi-node: four real processes (the test host, standing in for four machines) each with its own
/// <see cref="PostgresAdapter"/> and connection pool, against one schema of the test server. Nothing but the server
/// coordinates them, except the shared files the lock test uses to detect an overlap.
/// </summary>
public sealed class MultiNodeTests
{
    private const int Nodes = 4;
    private static readonly TimeSpan s_timeout = TimeSpan.FromMinutes(3);

    private static void Report(string line) => TestContext.Current.TestOutputHelper?.WriteLine(line);

    /// <summary>A fresh schema, its tables created beforehand unless <paramref name="create"/> is false.</summary>
    private static async Task<string> SchemaAsync(bool create = true)
    {
        var connectionString = await PostgresServer.CreateSchemaAsync();
        if (create)
        {
            await (await PostgresAdapter.OpenAsync(connectionString)).DisposeAsync();
        }

        return connectionString;
    }

    // Starts the nodes, lets each connect, then releases them together through a barrier directory (see the test host),
    // so their work overlaps instead of following process start-up order.
    private static async Task<(int ExitCode, string[] Lines, string Error)[]> RunNodesAsync(TempDirectory dir, Func<int, string[]> args)
    {
        var barrier = Directory.CreateDirectory(dir.File("barrier")).FullName;
        var running = Enumerable.Range(0, Nodes).Select(i => ChildProcess.RunTestHostAsync([.. args(i), barrier], timeout: s_timeout)).ToArray();
        using (var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken))
        {
            cts.CancelAfter(s_timeout);
            while (Directory.GetFiles(barrier, "ready-*").Length < Nodes && !running.Any(r => r.IsCompleted))
            {
                await Task.Delay(10, cts.Token);
            }
        }

        await File.WriteAllTextAsync(Path.Combine(barrier, "go"), "", TestContext.Current.CancellationToken);
        var outcomes = await Task.WhenAll(running);
        Assert.All(outcomes, o => Assert.True(o.ExitCode == 0, o.Error));
        Assert.All(outcomes, o => Assert.DoesNotContain(o.Lines, l => l.StartsWith("ERR ", StringComparison.Ordinal)));
        return outcomes;
    }

    [Fact]
    public async Task FourNodes_500RecordFailuresEach_OnOneKey_CountExactly2000()
    {
        using var dir = new TempDirectory();

        // The nodes also race to create the tables of the empty schema.
        var connectionString = await SchemaAsync(create: false);

        var outcomes = await RunNodesAsync(dir, _ => ["record-failures", "pg:" + connectionString, "payments", "500"]);

        var lasts = outcomes.Select(o => int.Parse(Assert.Single(o.Lines)["OK ".Length..], CultureInfo.InvariantCulture)).ToArray();
        Assert.Equal(2000, lasts.Max());
        await using var adapter = await PostgresAdapter.OpenAsync(connectionString);
        var state = await adapter.CircuitBreakers.GetStateAsync("payments", TestContext.Current.CancellationToken);
        Assert.Equal(2000, state!.FailureCount);
        Report($"4 nodes x 500 RecordFailure on PostgreSQL: count {state.FailureCount}; last counts seen {string.Join(", ", lasts)}");
    }

    [Fact]
    public async Task FourNodes_ContendingForOneDatabaseLock_100CriticalSectionsEach_NeverOverlap()
    {
        using var dir = new TempDirectory();
        var connectionString = await SchemaAsync();
        var counter = dir.File("counter.txt");
        var marker = dir.File("inside.marker");

        var outcomes = await RunNodesAsync(dir, _ => ["lock-counter", "pg:" + connectionString, "counter", counter, "100", marker]);

        // No node ever found another holder's marker inside its critical section.
        Assert.All(outcomes, o => Assert.Equal("OK 0", o.Lines[^1]));

        // The unguarded read-modify-write of the counter file lost no update, so the sections ran one at a time.
        Assert.Equal("400", (await File.ReadAllTextAsync(counter, TestContext.Current.CancellationToken)).Trim());
        Assert.False(File.Exists(marker));

        // Every section wrote a distinct value, and the fencing tokens rise in the order the sections ran.
        var sections = outcomes
            .SelectMany(o => o.Lines.Where(l => l.StartsWith("T ", StringComparison.Ordinal)))
            .Select(l => l.Split(' '))
            .Select(p => (Value: int.Parse(p[1], CultureInfo.InvariantCulture), Token: long.Parse(p[2], CultureInfo.InvariantCulture)))
            .OrderBy(s => s.Value)
            .ToArray();
        Assert.Equal(Enumerable.Range(1, 400), sections.Select(s => s.Value));
        for (var i = 1; i < sections.Length; i++)
        {
            Assert.True(sections[i].Token > sections[i - 1].Token, $"Token {sections[i].Token} after {sections[i - 1].Token} at counter {sections[i].Value}.");
        }

        // Each node took the lock many times: they contended, it was not one node doing all the work.
        Assert.All(outcomes, o => Assert.Equal(100, o.Lines.Count(l => l.StartsWith("T ", StringComparison.Ordinal))));
        Report($"4 nodes x 100 lock sections on PostgreSQL: counter 400, 0 overlaps, tokens {sections[0].Token}..{sections[^1].Token} strictly rising");
    }

    [Fact]
    public async Task ExecuteOnce_From4NodesX8Threads_OnOneKey_RunsTheActionOnce()
    {
        using var dir = new TempDirectory();
        var connectionString = await SchemaAsync();
        var runs = dir.File("runs.log");

        var outcomes = await RunNodesAsync(dir, _ => ["execute-once-threads", "pg:" + connectionString, "import:2026-11-25", runs, "300", "8"]);

        var values = outcomes.SelectMany(o => o.Lines).ToArray();
        Assert.Equal(32, values.Length);
        var value = Assert.Single(values.Distinct());
        Assert.StartsWith("OK ran-in-", value, StringComparison.Ordinal);
        Assert.Single(await File.ReadAllLinesAsync(runs, TestContext.Current.CancellationToken));

        // The result the callers got is the one stored on the server.
        await using var adapter = await PostgresAdapter.OpenAsync(connectionString);
        Assert.Equal(value["OK ".Length..], (await adapter.Idempotency.GetAsync<string>("import:2026-11-25", TestContext.Current.CancellationToken))!.Value);
        Report("ExecuteOnce from 4 nodes x 8 threads on PostgreSQL: 32 callers, 1 run, 1 distinct result");
    }

    [Fact]
    public async Task ACircuitBreakerOpenedOnOneNode_RejectsOnTheOthers()
    {
        var connectionString = await SchemaAsync();
        var database = "pg:" + connectionString;

        var (exit, lines, error) = await ChildProcess.RunTestHostAsync(["breaker", database, "payments", "fail", "3"], timeout: s_timeout);
        Assert.True(exit == 0, error);
        Assert.Equal(["FAILED", "FAILED", "FAILED", "STATE Open"], lines);

        var others = await Task.WhenAll(Enumerable.Range(1, Nodes - 1)
            .Select(_ => ChildProcess.RunTestHostAsync(["breaker", database, "payments", "succeed", "2"], timeout: s_timeout)));

        await using var adapter = await PostgresAdapter.OpenAsync(connectionString);
        var state = await adapter.CircuitBreakers.GetStateAsync("payments", TestContext.Current.CancellationToken);
        Assert.Equal(CircuitState.Open, state!.State);
        Assert.Equal(3, state.FailureCount);
        var expectedRetry = (state.LastFailureTime!.Value + TimeSpan.FromMinutes(10)).ToUnixTimeMilliseconds();
        foreach (var other in others)
        {
            Assert.True(other.ExitCode == 0, other.Error);
            Assert.Equal(3, other.Lines.Length);

            // The action never ran on the other nodes, and the retry time they were told is the first node's last
            // failure plus the reset timeout.
            Assert.All(other.Lines[..2], l => Assert.Equal($"REJECTED {expectedRetry}", l));
            Assert.Equal("STATE Open", other.Lines[2]);
        }
    }

    [Fact]
    public async Task TheNodesReallyAreSeparateClients()
    {
        // Guards the tests above against passing vacuously: the host's "pg:" argument reaches PostgreSQL (the schema
        // gets the rows) rather than, say, a SQLite file of that name.
        using var dir = new TempDirectory();
        var connectionString = await SchemaAsync();
        var outcomes = await RunNodesAsync(dir, _ => ["record-failures", "pg:" + connectionString, "k", "1"]);
        Assert.Equal(Nodes, outcomes.Length);
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(TestContext.Current.CancellationToken);
        await using var command = new NpgsqlCommand("SELECT failure_count FROM go_goscope_circuit", connection);
        Assert.Equal(4L, await command.ExecuteScalarAsync(TestContext.Current.CancellationToken));
        Assert.False(File.Exists("pg:" + connectionString));
    }
}
