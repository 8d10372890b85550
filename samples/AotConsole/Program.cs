using ConsoleAppFramework;
using AotConsole;
using NativeAotPersistence;

var app = ConsoleApp.Create();
app.Add("", Commands.RunAsync);
await app.RunAsync(args);

internal static class Commands
{
    /// <summary>Opens the database and round-trips a value through the cache.</summary>
    /// <param name="db">The SQLite database file.</param>
    public static async Task<int> RunAsync(string db = "aotconsole.db")
    {
        try
        {
            await using var persistence = await SqliteAdapter.OpenAsync(db, new PersistenceAdapterOptions
            {
                KeyPrefix = "aotconsole:",
                Payloads = SamplePayloads.Default,
            });
            var calibration = new Calibration("sensor-1", 0.25, 1.5, DateTimeOffset.UtcNow);
            await persistence.Cache.SetAsync("calibration:sensor-1", calibration, TimeSpan.FromMinutes(1));
            var value = await persistence.Cache.GetAsync<Calibration>("calibration:sensor-1");
            var stats = await persistence.Admin.GetStatsAsync();
            Console.WriteLine($"{persistence.DataSource}: schema version {stats.SchemaVersion}, cache round trip {(value == calibration ? "ok" : "MISMATCH")}");
            return value == calibration ? 0 : 1;
        }
        catch (PersistenceException e)
        {
            Console.Error.WriteLine($"aotconsole: {e.Message}");
            return 1;
        }
    }
}
