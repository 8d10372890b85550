using System.Globalization;

namespace NativeAotPersistence.Tests.Reliability;

/// <summary>
/// SetManyAsync is all or none even when the process dies in the middle of a batch: a child stores batches of 200 entries
/// from two workers and acknowledges each batch on stdout only after its call returned; the parent kills it with SIGKILL
/// at random moments, then checks that every acknowledged batch is whole and that no batch is there in part.
/// </summary>
public sealed class SetManyCrashTests
{
    private const int Size = 200;
    private static readonly TimeSpan s_hostTimeout = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task SigkillDuringBatches_LeavesEveryBatchWholeOrAbsent_AndEveryAcknowledgedOneWhole()
    {
        Assert.SkipWhen(OperatingSystem.IsWindows(), "SIGKILL semantics.");
        using var dir = new TempDirectory();
        var db = dir.File("batches.db");
        var random = new Random(20261205);
        var acknowledged = new HashSet<int>();
        var partialSeen = 0;
        for (var round = 0; round < 6; round++)
        {
            using var writer = HostProcess.Start("set-many", db, (round * 1_000_000).ToString(CultureInfo.InvariantCulture), Size.ToString(CultureInfo.InvariantCulture));
            await writer.SendAsync("go");
            await writer.WaitForLineAsync("READY", s_hostTimeout);
            await Task.Delay(random.Next(50, 400), TestContext.Current.CancellationToken);
            writer.Kill();
            await writer.WaitForExitAsync(s_hostTimeout);
            foreach (var line in writer.DrainAvailable().Where(l => l.StartsWith("A ", StringComparison.Ordinal)))
            {
                acknowledged.Add(int.Parse(line[2..], CultureInfo.InvariantCulture));
            }

            // Every batch in the file, whole or not: the keys are "m<batch>-<n>", each holding its batch number.
            await using var adapter = await SqliteAdapter.OpenAsync(db);
            var batches = new Dictionary<int, int>();
            foreach (var key in await adapter.Cache.KeysAsync("m*", TestContext.Current.CancellationToken))
            {
                var batch = int.Parse(key.AsSpan(1, key.IndexOf('-', StringComparison.Ordinal) - 1), CultureInfo.InvariantCulture);
                Assert.Equal(batch, await adapter.Cache.GetAsync<int>(key, TestContext.Current.CancellationToken));
                batches[batch] = batches.GetValueOrDefault(batch) + 1;
            }

            partialSeen += batches.Count(b => b.Value != Size);
            Assert.All(batches, b => Assert.Equal(Size, b.Value));
            Assert.All(acknowledged, a => Assert.True(batches.ContainsKey(a), $"acknowledged batch {a} is missing after kill {round + 1}"));
        }

        TestContext.Current.TestOutputHelper?.WriteLine($"6 SIGKILLs, {acknowledged.Count} acknowledged batches of {Size}, {partialSeen} partial batches found.");
        Assert.True(acknowledged.Count >= 6, $"too few batches ran to mean anything: {acknowledged.Count}");
        Assert.Equal(0, partialSeen);
    }
}
