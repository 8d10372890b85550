namespace NativeAotPersistence.Benchmarks;

public enum Store
{
    Memory,
    WalFile,
}

public enum Size
{
    Small,
    Large,
}

internal static class BenchFiles
{
    private const string Prefix = "nap-bench-";

    private static readonly Lazy<int> s_staleDeleted = new(DeleteStale);

    /// <summary>A new temp directory, named after this process so a later run can tell it was left by a killed run.</summary>
    public static string NewDirectory()
    {
        _ = s_staleDeleted.Value;
        var dir = Path.Combine(Path.GetTempPath(), $"{Prefix}{Environment.ProcessId}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        return dir;
    }

    public static void Delete(string? dir)
    {
        if (dir is not null && Directory.Exists(dir))
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>Deletes the directories of benchmark processes that no longer run (killed before their cleanup).</summary>
    private static int DeleteStale()
    {
        var deleted = 0;
        foreach (var dir in Directory.EnumerateDirectories(Path.GetTempPath(), Prefix + "*"))
        {
            var name = Path.GetFileName(dir).AsSpan(Prefix.Length);
            var dash = name.IndexOf('-');
            if (dash > 0 && int.TryParse(name[..dash], out var pid) && !IsRunning(pid))
            {
                try
                {
                    Directory.Delete(dir, recursive: true);
                    deleted++;
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    // Another process's, or being deleted meanwhile: leave it.
                }
            }
        }

        return deleted;
    }

    private static bool IsRunning(int pid)
    {
        try
        {
            using var process = System.Diagnostics.Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }
}
