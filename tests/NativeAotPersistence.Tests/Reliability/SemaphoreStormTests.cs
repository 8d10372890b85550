using System.Globalization;

namespace NativeAotPersistence.Tests.Reliability;

/// <summary>
/// Semaphores across real processes, with an external witness: four processes of eight tasks each take turns on one
/// key with three permits, and log to an append-only file as they enter and leave.
/// </summary>
public sealed class SemaphoreStormTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task FourProcessesOfEightTasks_NeverHoldMoreThanThePermits_AndTokensAreUniqueAndRising()
    {
        using var dir = new TempDirectory();
        var db = dir.File("storm.db");
        await (await SqliteAdapter.OpenAsync(db)).DisposeAsync();
        await StormAsync(dir, db);
    }

    [Fact]
    public async Task FourMachinesOfEightTasks_OnPostgreSql_NeverHoldMoreThanThePermits_AndTokensAreUniqueAndRising()
    {
        // The multi-node case: four processes standing in for four machines, each with its own connection pool, and
        // nothing but the server between them.
        using var dir = new TempDirectory();
        var connectionString = await PostgreSql.PostgresServer.CreateSchemaAsync();
        await (await PostgresAdapter.OpenAsync(connectionString)).DisposeAsync();
        await StormAsync(dir, "pg:" + connectionString);
    }

    private static async Task StormAsync(TempDirectory dir, string db)
    {
        var log = dir.File("witness.log");
        var outcomes = await LeaseStormTests.RunAllAsync(dir, [.. Enumerable.Range(0, 4).Select(_ => (string[])["semaphore-storm", db, log, "6", "3", "8"])]);

        // "enter" is logged after the grant and "leave" before the release, so the log's count of holders inside can
        // only be below the store's: more than 3 inside at any line is a real overlap.
        var lines = await File.ReadAllLinesAsync(log, Ct);
        var inside = new HashSet<long>();
        var tokens = new HashSet<long>();
        var lastByTask = new Dictionary<string, long>(StringComparer.Ordinal);
        var most = 0;
        foreach (var line in lines)
        {
            var parts = line.Split(' ');
            var token = long.Parse(parts[1], CultureInfo.InvariantCulture);
            if (parts[0] == "enter")
            {
                Assert.True(tokens.Add(token), $"token {token} granted twice");
                Assert.True(inside.Add(token));
                most = Math.Max(most, inside.Count);
                Assert.True(inside.Count <= 3, $"{inside.Count} holders inside at: {line}");

                // One task's permits come one after the other: each later grant has a larger token.
                var task = parts[2] + "/" + parts[3];
                Assert.True(!lastByTask.TryGetValue(task, out var last) || token > last, $"task {task}: token {token} after {last}");
                lastByTask[task] = token;
            }
            else
            {
                Assert.True(inside.Remove(token), $"leave without enter: {line}");
            }
        }

        var sections = outcomes.Sum(o => int.Parse(o.Lines[^1]["OK ".Length..], CultureInfo.InvariantCulture));
        TestContext.Current.TestOutputHelper?.WriteLine($"{sections} sections, at most {most} inside at once, {lastByTask.Count} tasks");
        Assert.Equal(sections, tokens.Count);
        Assert.True(sections >= 100, $"only {sections} sections: the storm did not run");
        Assert.Equal(3, most);
        Assert.Equal(32, lastByTask.Count);
    }
}
