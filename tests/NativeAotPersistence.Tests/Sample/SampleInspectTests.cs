using System.Text.Json;

namespace NativeAotPersistence.Tests.Sample;

/// <summary><c>aotconsole inspect</c>, <c>prune</c> and bad input, against databases the test prepares with the library.</summary>
[Collection("Sample")]
public sealed class SampleInspectTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task InspectJson_ReportsEveryKindOfRowOfItsPrefix()
    {
        var db = _dir.File("prepared.db");
        var token = await PrepareAsync(db);

        using var inspect = await AotConsoleProcess.RunAsync("inspect", "--db", db, "--json");
        Assert.True(inspect.ExitCode == 0, SampleRunTests.Describe(inspect));
        Assert.Empty(inspect.Errors);
        using var json = JsonDocument.Parse(string.Join('\n', inspect.Output));
        var root = json.RootElement;

        Assert.Equal(Path.GetFullPath(db), root.GetProperty("dataSource").GetString());
        Assert.Equal("aotconsole:", root.GetProperty("keyPrefix").GetString());
        Assert.Equal(JsonValueKind.Null, root.GetProperty("pattern").ValueKind);
        Assert.Equal(SchemaRules.CurrentVersion, root.GetProperty("schemaVersion").GetInt32());
        Assert.True(root.GetProperty("sizeOnDisk").GetInt64() > 0);
        Assert.True(root.GetProperty("pageCount").GetInt64() > 0);

        var counts = root.GetProperty("counts");
        Assert.Equal((2, 1), Counts(counts.GetProperty("cache")));
        Assert.Equal((1, 0), Counts(counts.GetProperty("idempotency")));
        Assert.Equal((1, 0), Counts(counts.GetProperty("locks")));
        Assert.Equal(2, counts.GetProperty("circuits").GetInt32());
        Assert.Equal(2, counts.GetProperty("checkpoints").GetInt32());
        Assert.Equal(1, counts.GetProperty("tasks").GetInt32());

        Assert.Equal(["calibration:dev-0001", "other:thing"], Strings(root.GetProperty("cacheKeys")));

        var circuits = root.GetProperty("circuits").EnumerateArray().ToDictionary(c => c.GetProperty("key").GetString()!);
        Assert.Equal(["maintenance", "upstream"], circuits.Keys.Order());
        var isolated = circuits["maintenance"];
        Assert.Equal("open", isolated.GetProperty("state").GetString());
        Assert.True(isolated.GetProperty("isolated").GetBoolean());
        var circuit = circuits["upstream"];
        Assert.Equal("open", circuit.GetProperty("state").GetString());
        Assert.False(circuit.GetProperty("isolated").GetBoolean());
        Assert.Equal(0, circuit.GetProperty("trialsInFlight").GetInt32());
        Assert.Equal(0, circuit.GetProperty("reopenCount").GetInt32());
        Assert.Equal(3, circuit.GetProperty("failureCount").GetInt32());
        Assert.NotEqual(JsonValueKind.Null, circuit.GetProperty("lastFailureTime").ValueKind);
        Assert.Equal(JsonValueKind.Null, circuit.GetProperty("lastSuccessTime").ValueKind);

        var task = Assert.Single(root.GetProperty("tasks").EnumerateArray());
        Assert.Equal("upload", task.GetProperty("taskId").GetString());
        Assert.Equal(2, task.GetProperty("checkpointCount").GetInt32());
        Assert.Equal(3, task.GetProperty("latestSequence").GetInt64());
        Assert.Equal(40, task.GetProperty("progress").GetInt32());
        Assert.Equal(12_000, task.GetProperty("estimatedTimeRemainingMs").GetInt64());

        var held = Assert.Single(root.GetProperty("locks").EnumerateArray());
        Assert.Equal("job:upload", held.GetProperty("key").GetString());
        Assert.Equal("elsewhere:4242:99", held.GetProperty("owner").GetString());
        Assert.Equal(token, held.GetProperty("fencingToken").GetInt64());
        Assert.False(held.GetProperty("ownerGone").GetBoolean());
        Assert.True(held.GetProperty("expiresAt").GetDateTimeOffset() > DateTimeOffset.UtcNow);

        var record = Assert.Single(root.GetProperty("idempotency").EnumerateArray());
        Assert.Equal("batch:job-1:000001", record.GetProperty("key").GetString());
        Assert.True(record.GetProperty("valueBytes").GetInt32() > 0);
        Assert.NotEqual(JsonValueKind.Null, record.GetProperty("expiresAt").ValueKind);
    }

    [Fact]
    public async Task InspectJson_FiltersKeysByPattern_AndReadsAnotherPrefix()
    {
        var db = _dir.File("filtered.db");
        await PrepareAsync(db);

        using (var filtered = await AotConsoleProcess.RunAsync("inspect", "--db", db, "--keys", "calibration:*", "--json"))
        {
            Assert.True(filtered.ExitCode == 0, SampleRunTests.Describe(filtered));
            using var json = JsonDocument.Parse(string.Join('\n', filtered.Output));
            Assert.Equal("calibration:*", json.RootElement.GetProperty("pattern").GetString());
            Assert.Equal(["calibration:dev-0001"], Strings(json.RootElement.GetProperty("cacheKeys")));
            Assert.Empty(json.RootElement.GetProperty("idempotency").EnumerateArray());
        }

        using (var other = await AotConsoleProcess.RunAsync("inspect", "--db", db, "--prefix", "someone-else:", "--json"))
        {
            Assert.True(other.ExitCode == 0, SampleRunTests.Describe(other));
            using var json = JsonDocument.Parse(string.Join('\n', other.Output));
            Assert.Equal(["calibration:dev-0001"], Strings(json.RootElement.GetProperty("cacheKeys")));
            Assert.Empty(json.RootElement.GetProperty("circuits").EnumerateArray());
            Assert.Empty(json.RootElement.GetProperty("locks").EnumerateArray());
        }
    }

    [Fact]
    public async Task InspectText_ShowsTheTables_AndPruneReclaimsExpiredRows()
    {
        var db = _dir.File("text.db");
        await PrepareAsync(db);

        using var inspect = await AotConsoleProcess.RunAsync("inspect", "--db", db);
        Assert.True(inspect.ExitCode == 0, SampleRunTests.Describe(inspect));
        foreach (var heading in new[] { "rows", "circuits", "checkpointed tasks", "held locks", "cache keys (2)", "idempotency records (1)" })
        {
            Assert.Contains(heading, inspect.Output);
        }

        Assert.Contains(inspect.Output, l => l.Contains("job:upload", StringComparison.Ordinal) && l.Contains("elsewhere:4242:99", StringComparison.Ordinal));
        Assert.Contains(inspect.Output, l => l.Contains("maintenance", StringComparison.Ordinal) && l.Contains("isolated", StringComparison.Ordinal));
        Assert.Contains(inspect.Output, l => l.Contains("upload", StringComparison.Ordinal) && l.Contains("40%", StringComparison.Ordinal) && l.Contains("0:12", StringComparison.Ordinal));

        using var prune = await AotConsoleProcess.RunAsync("prune", "--db", db);
        Assert.True(prune.ExitCode == 0, SampleRunTests.Describe(prune));
        var line = Assert.Single(prune.Output);
        Assert.StartsWith("pruned 1 expired rows from ", line, StringComparison.Ordinal);
        Assert.EndsWith(": 1 cache, 0 idempotency, 0 locks", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PruneCompact_ShrinksTheFile_AndPrintsItsSizeBeforeAndAfter()
    {
        var db = _dir.File("compact.db");
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(DateTimeOffset.UtcNow.AddHours(-1));
        await using (var store = await SqliteAdapter.OpenAsync(db, new PersistenceAdapterOptions { KeyPrefix = "aotconsole:", TimeProvider = time }, TestContext.Current.CancellationToken))
        {
            for (var i = 0; i < 3_000; i++)
            {
                await store.Cache.SetAsync("reading:" + i, new string('r', 500), i % 10 == 0 ? null : TimeSpan.FromMinutes(1));
            }
        }

        var before = new FileInfo(db).Length;
        using var prune = await AotConsoleProcess.RunAsync("prune", "--db", db, "--compact");

        Assert.True(prune.ExitCode == 0, SampleRunTests.Describe(prune));
        Assert.Equal(2, prune.Output.Count);
        Assert.EndsWith(": 2,700 cache, 0 idempotency, 0 locks", prune.Output[0], StringComparison.Ordinal);
        var sizes = System.Text.RegularExpressions.Regex.Match(prune.Output[1], "^([0-9,]+) bytes compacted to ([0-9,]+)$");
        Assert.True(sizes.Success, prune.Output[1]);
        var (reported, after) = (Bytes(sizes.Groups[1].Value), Bytes(sizes.Groups[2].Value));
        Assert.True(reported >= before, $"{reported} reported before, {before} in the file before the run");
        Assert.True(after < before / 4, $"{before:N0} bytes before, {after:N0} after");
        Assert.Equal(new FileInfo(db).Length + (File.Exists(db + "-wal") ? new FileInfo(db + "-wal").Length : 0), after);

        await using var reopened = await SqliteAdapter.OpenAsync(db, new PersistenceAdapterOptions { KeyPrefix = "aotconsole:" }, TestContext.Current.CancellationToken);
        Assert.Equal(new string('r', 500), await reopened.Cache.GetAsync<string>("reading:2990"));
        Assert.Equal(300, (await reopened.Cache.KeysAsync()).Count);

        static long Bytes(string text) => long.Parse(text, System.Globalization.NumberStyles.AllowThousands, System.Globalization.CultureInfo.InvariantCulture);
    }

    [Fact]
    public async Task Inspect_OpensTheFileReadOnly_AndChangesNothing()
    {
        var db = _dir.File("untouched.db");
        await PrepareAsync(db);
        var before = await File.ReadAllBytesAsync(db, TestContext.Current.CancellationToken);
        using var inspect = await AotConsoleProcess.RunAsync("inspect", "--db", db, "--json");
        Assert.True(inspect.ExitCode == 0, SampleRunTests.Describe(inspect));
        Assert.Equal(before, await File.ReadAllBytesAsync(db, TestContext.Current.CancellationToken));
        Assert.False(File.Exists(db + "-wal") && new FileInfo(db + "-wal").Length > 0, "inspect wrote to the WAL");
    }

    [Fact]
    public async Task InspectOfAnEmptyFile_ShowsAnEmptyStore()
    {
        var db = _dir.File("empty.db");
        await File.WriteAllBytesAsync(db, [], TestContext.Current.CancellationToken);
        using var inspect = await AotConsoleProcess.RunAsync("inspect", "--db", db, "--json");
        Assert.True(inspect.ExitCode == 0, SampleRunTests.Describe(inspect));
        using var json = JsonDocument.Parse(string.Join('\n', inspect.Output));
        Assert.Equal((0, 0), Counts(json.RootElement.GetProperty("counts").GetProperty("cache")));
        Assert.Empty(json.RootElement.GetProperty("tasks").EnumerateArray());
    }

    [Theory]
    [InlineData(2, "run", "--records", "0")]
    [InlineData(2, "run", "--records", "many")]
    [InlineData(2, "run", "--fail-rate", "1")]
    [InlineData(2, "run", "--bogus")]
    [InlineData(2, "run", "--db", "{dir}")]
    [InlineData(1, "run", "--db", "{text}")]
    [InlineData(1, "run", "--db", "{dir}/no/such/dir/x.db")]
    [InlineData(1, "inspect", "--db", "{dir}/missing.db")]
    [InlineData(1, "inspect", "--db", "{text}")]
    [InlineData(1, "inspect", "--db", "{foreign}")]
    [InlineData(2, "inspect", "--db", "{store}", "--keys")]
    [InlineData(1, "prune", "--db", "{dir}/missing.db")]
    public async Task BadArgumentsAndFiles_GiveOneLineOnStderr_AndNoStackTrace(int exitCode, params string[] args)
    {
        var text = _dir.File("notes.txt");
        await File.WriteAllTextAsync(text, "these are not the pages of a database, just some words that go on for a while\n", TestContext.Current.CancellationToken);
        var foreign = _dir.File("foreign.db");
        SqliteFile.CreateForeign(foreign);
        var store = _dir.File("store.db");
        await PrepareAsync(store);
        var expanded = args.Select(a => a.Replace("{dir}", _dir.Path, StringComparison.Ordinal)
            .Replace("{text}", text, StringComparison.Ordinal)
            .Replace("{foreign}", foreign, StringComparison.Ordinal)
            .Replace("{store}", store, StringComparison.Ordinal)).ToArray();

        using var run = await AotConsoleProcess.RunAsync(expanded);
        Assert.True(run.ExitCode == exitCode, SampleRunTests.Describe(run));
        var error = Assert.Single(run.Errors);
        Assert.StartsWith("aotconsole: ", error, StringComparison.Ordinal);
        Assert.DoesNotContain(run.Output.Concat(run.Errors), l => l.TrimStart().StartsWith("at ", StringComparison.Ordinal) || l.Contains("Exception:", StringComparison.Ordinal));
    }

    /// <summary>Writes one of every kind of row under the sample's prefix (and a neighbor's row) with the library.</summary>
    private static async Task<long> PrepareAsync(string db)
    {
        var options = new PersistenceAdapterOptions { KeyPrefix = "aotconsole:", LockScope = LockScope.Database };
        await using var store = await SqliteAdapter.OpenAsync(db, options, TestContext.Current.CancellationToken);
        await using var neighbor = await SqliteAdapter.OpenAsync(db, new PersistenceAdapterOptions { KeyPrefix = "someone-else:" }, TestContext.Current.CancellationToken);
        await neighbor.Cache.SetAsync("calibration:dev-0001", "not ours");

        await store.Cache.SetAsync("calibration:dev-0001", "offset 12");
        await store.Cache.SetAsync("other:thing", 1);
        await store.Cache.SetAsync("calibration:dev-0002", "soon gone", TimeSpan.FromMilliseconds(1));
        for (var i = 0; i < 3; i++)
        {
            await store.CircuitBreakers.RecordFailureAsync("upstream", 3);
        }

        await new CircuitBreaker(store.CircuitBreakers, "maintenance").IsolateAsync();

        var now = DateTimeOffset.UtcNow;
        await store.Checkpoints.SaveAsync(new Checkpoint<int>("upload#2", "upload", 2, now, 20, 400, TimeSpan.FromSeconds(30)));
        await store.Checkpoints.SaveAsync(new Checkpoint<int>("upload#3", "upload", 3, now, 40, 800, TimeSpan.FromSeconds(12)));
        await store.Idempotency.SetAsync("batch:job-1:000001", "receipt", TimeSpan.FromHours(1));
        var handle = await store.Locks.AcquireAsync("job:upload", TimeSpan.FromMinutes(5), "elsewhere:4242:99");
        Assert.NotNull(handle);
        await Task.Delay(5, TestContext.Current.CancellationToken);
        return handle.FencingToken;
    }

    private static (int Live, int Expired) Counts(JsonElement e) => (e.GetProperty("live").GetInt32(), e.GetProperty("expired").GetInt32());

    private static string[] Strings(JsonElement array) => [.. array.EnumerateArray().Select(e => e.GetString()!)];
}
