using ConsoleAppFramework;
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
            await using var persistence = await SqliteAdapter.OpenAsync(db, new PersistenceAdapterOptions { KeyPrefix = "aotconsole:" });
            await persistence.Cache.SetAsync("hello", "world", TimeSpan.FromMinutes(1));
            var value = await persistence.Cache.GetAsync<string>("hello");
            Console.WriteLine($"{persistence.DataSource}: cache round trip '{value}'");
            return value == "world" ? 0 : 1;
        }
        catch (PersistenceException e)
        {
            Console.Error.WriteLine($"aotconsole: {e.Message}");
            return 1;
        }
    }
}
