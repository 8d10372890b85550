using NativeAotPersistence;

// Usage: TestHost <command> <database> [args...]. Prints one line per result: "OK <value>" or "ERR <Kind> <message>".
// Exit code 0 unless the arguments are wrong (2).
if (args.Length < 2)
{
    Console.Error.WriteLine("usage: TestHost <command> <database> [args...]");
    return 2;
}

var command = args[0];
var path = args[1];
try
{
    switch (command)
    {
        case "get-then-set":
        {
            // Opens the file, reads args[2], then writes args[2] = args[3]: the read-only checks.
            await using var adapter = await SqliteAdapter.OpenAsync(path);
            Report(await Try(async () => await adapter.Cache.GetAsync<string>(args[2])));
            Report(await Try(async () =>
            {
                await adapter.Cache.SetAsync(args[2], args[3]);
                return "stored";
            }));
            break;
        }

        case "execute-once":
        {
            // ExecuteOnce under LockScope.Database: the action appends a line to args[3] and takes args[4] ms.
            await using var adapter = await SqliteAdapter.OpenAsync(path, new PersistenceAdapterOptions { LockScope = LockScope.Database });
            var value = await adapter.Idempotency.ExecuteOnceAsync(args[2], TimeSpan.FromHours(1), async ct =>
            {
                await File.AppendAllTextAsync(args[3], $"{Environment.ProcessId}\n", ct);
                await Task.Delay(int.Parse(args[4], System.Globalization.CultureInfo.InvariantCulture), ct);
                return $"ran-in-{Environment.ProcessId}";
            });
            Report("OK " + value);
            break;
        }

        default:
            Console.Error.WriteLine($"unknown command '{command}'");
            return 2;
    }
}
catch (PersistenceException e)
{
    Console.WriteLine($"ERR {e.Kind} {e.Message}");
}

return 0;

static async Task<string> Try(Func<Task<string?>> action)
{
    try
    {
        return "OK " + (await action() ?? "<null>");
    }
    catch (PersistenceException e)
    {
        return $"ERR {e.Kind} {e.Message}";
    }
}

static void Report(string line) => Console.WriteLine(line);
