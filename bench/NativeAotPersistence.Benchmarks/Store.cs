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
    public static string NewDirectory()
    {
        var dir = Path.Combine(Path.GetTempPath(), "nap-bench-" + Guid.NewGuid().ToString("N"));
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
}
