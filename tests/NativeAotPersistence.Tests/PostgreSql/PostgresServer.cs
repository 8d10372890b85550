using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace NativeAotPersistence.Tests.PostgreSql;

/// <summary>
/// One throwaway PostgreSQL server for the whole test run: <c>initdb</c> into a temp directory owned by the
/// unprivileged <c>postgres</c> user (tests run as root, which initdb and pg_ctl refuse), started on a free loopback
/// port with its socket in that directory, stopped and deleted when the test process exits. Each test gets its own
/// schema (<see cref="CreateSchemaAsync"/>), so tests run in parallel on one server.
/// </summary>
/// <remarks>
/// Without PostgreSQL server binaries the tests that need one are skipped with the reason — except when the
/// environment variable <c>CI</c> is <c>true</c>, where a missing server fails them: CI must never pass by skipping.
/// </remarks>
public static class PostgresServer
{
    private static readonly Lazy<Task<Instance>> s_instance = new(StartAsync);
    private static int s_schemas;

    /// <summary>The connection string of the server's database (no schema chosen), or skips/fails the test.</summary>
    public static async Task<string> ConnectionStringAsync() => (await RequireAsync()).ConnectionString;

    /// <summary>The server's data directory and binaries, for tests that stop or inspect it.</summary>
    public static async Task<Instance> RequireAsync()
    {
        var reason = MissingReason();
        if (reason is not null)
        {
            if (IsCi)
            {
                Assert.Fail($"CI=true and PostgreSQL cannot be started: {reason}. .ci/run installs the 'postgresql' package; it must not be skipped in CI.");
            }

            Assert.Skip($"PostgreSQL tests skipped: {reason}.");
        }

        return await s_instance.Value;
    }

    /// <summary>Creates a new empty schema and returns a connection string whose search_path is that schema.</summary>
    public static async Task<string> CreateSchemaAsync()
    {
        var server = await RequireAsync();
        var schema = $"t{Environment.ProcessId}_{Interlocked.Increment(ref s_schemas)}";
        await using (var connection = new NpgsqlConnection(server.ConnectionString))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand($"CREATE SCHEMA {schema}", connection);
            await command.ExecuteNonQueryAsync();
        }

        return new NpgsqlConnectionStringBuilder(server.ConnectionString) { SearchPath = schema }.ConnectionString;
    }

    /// <summary>The one role the server authenticates by password (scram-sha-256); a test creates it.</summary>
    public const string PasswordUser = "nap_password_user";

    public static bool IsCi => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    /// <summary>The directory with initdb and pg_ctl: <c>NAP_PG_BIN</c>, else the newest under /usr/lib/postgresql.</summary>
    public static string? BinDirectory()
    {
        var configured = Environment.GetEnvironmentVariable("NAP_PG_BIN");
        if (!string.IsNullOrEmpty(configured))
        {
            return configured;
        }

        if (!Directory.Exists("/usr/lib/postgresql"))
        {
            return null;
        }

        return Directory.GetDirectories("/usr/lib/postgresql")
            .Select(d => Path.Combine(d, "bin"))
            .Where(d => File.Exists(Path.Combine(d, "initdb")))
            .OrderByDescending(d => int.TryParse(Path.GetFileName(Path.GetDirectoryName(d)), out var v) ? v : 0)
            .FirstOrDefault();
    }

    private static string? MissingReason()
    {
        if (!OperatingSystem.IsLinux())
        {
            return "the throwaway server fixture runs on Linux only";
        }

        if (BinDirectory() is null)
        {
            return "no PostgreSQL server binaries (initdb, pg_ctl) under /usr/lib/postgresql/*/bin and NAP_PG_BIN is not set; install the 'postgresql' package";
        }

        if (Environment.UserName == "root" && !UserExists("postgres"))
        {
            return "running as root, which initdb refuses, and there is no 'postgres' user to run the server as";
        }

        return null;
    }

    private static bool UserExists(string name) => File.ReadLines("/etc/passwd").Any(l => l.StartsWith(name + ":", StringComparison.Ordinal));

    private static async Task<Instance> StartAsync()
    {
        var bin = BinDirectory()!;
        var root = Path.Combine(Path.GetTempPath(), "nap-pg-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(root);
        var asRoot = Environment.UserName == "root";
        if (asRoot)
        {
            await RunAsync("chown", ["postgres:postgres", root], asPostgres: false);
        }

        var data = Path.Combine(root, "data");
        var port = FreePort();
        await RunAsync(Path.Combine(bin, "initdb"), ["-D", data, "-A", "trust", "-U", "app", "-E", "UTF8", "--locale=C", "--no-sync"], asRoot);

        // Every login is trusted except PasswordUser's, which needs its password: the wrong-password test logs in as it.
        var hba = Path.Combine(data, "pg_hba.conf");
        await File.WriteAllTextAsync(hba, $"host all {PasswordUser} 127.0.0.1/32 scram-sha-256\n" + await File.ReadAllTextAsync(hba));

        // Durability is not under test here (the client's behavior is), so the server skips fsync to keep the run fast.
        var serverOptions = $"-k {root} -p {port} -c listen_addresses=127.0.0.1 -c max_connections=400 -c fsync=off -c full_page_writes=off -c synchronous_commit=off";
        await RunAsync(Path.Combine(bin, "pg_ctl"), ["-D", data, "-o", serverOptions, "-l", Path.Combine(root, "server.log"), "-w", "-t", "60", "start"], asRoot);

        var instance = new Instance(bin, root, data, port, asRoot, $"Host=127.0.0.1;Port={port};Username=app;Database=postgres;Pooling=true;Maximum Pool Size=20;Timeout=30");
        AppDomain.CurrentDomain.ProcessExit += (_, _) => instance.StopAndDelete();
        return instance;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    internal static async Task RunAsync(string file, string[] args, bool asPostgres)
    {
        var start = new ProcessStartInfo(asPostgres ? "runuser" : file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (asPostgres)
        {
            foreach (var a in (string[])["-u", "postgres", "--", file])
            {
                start.ArgumentList.Add(a);
            }
        }

        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', args)} exited {process.ExitCode}: {await stderr}{await stdout}");
        }
    }

    /// <summary>A running server.</summary>
    public sealed record Instance(string Bin, string Root, string Data, int Port, bool AsPostgres, string ConnectionString)
    {
        /// <summary>Stops the server (immediate shutdown) and deletes its directory.</summary>
        public void StopAndDelete()
        {
            try
            {
                var start = new ProcessStartInfo(AsPostgres ? "runuser" : Path.Combine(Bin, "pg_ctl")) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
                foreach (var a in AsPostgres ? ["-u", "postgres", "--", Path.Combine(Bin, "pg_ctl")] : Array.Empty<string>())
                {
                    start.ArgumentList.Add(a);
                }

                foreach (var a in (string[])["-D", Data, "-m", "immediate", "-w", "stop"])
                {
                    start.ArgumentList.Add(a);
                }

                using var process = Process.Start(start)!;
                process.WaitForExit(30_000);
                Directory.Delete(Root, recursive: true);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidOperationException or System.ComponentModel.Win32Exception)
            {
                // Best effort at process exit.
            }
        }
    }
}
