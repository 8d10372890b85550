using NativeAotPersistence;

namespace ServerlessApi;

/// <summary>
/// The <c>Store</c> setting: <c>sqlite:&lt;file&gt;</c> (one instance, or several on one machine) or
/// <c>postgres:&lt;Npgsql connection string&gt;</c> (many instances on many machines).
/// </summary>
internal static class StoreSetting
{
    public const string Default = "sqlite:payments.db";

    private const string SqlitePrefix = "sqlite:";
    private const string PostgresPrefix = "postgres:";

    /// <summary>Opens and connects the store the setting names, creating its tables if needed.</summary>
    /// <exception cref="ArgumentException">The setting names no store this API knows.</exception>
    public static async Task<IPersistenceAdapter> OpenAsync(string setting)
    {
        // LockScope.Database (the default, said here because it matters): the lease of a request in progress is seen by
        // every instance on the store, not only by this process.
        var options = new PersistenceAdapterOptions { LockScope = LockScope.Database };
        if (setting.StartsWith(PostgresPrefix, StringComparison.Ordinal))
        {
            return await PostgresAdapter.OpenAsync(setting[PostgresPrefix.Length..], options);
        }

        if (setting.StartsWith(SqlitePrefix, StringComparison.Ordinal) && setting.Length > SqlitePrefix.Length)
        {
            return await SqliteAdapter.OpenAsync(setting[SqlitePrefix.Length..], options);
        }

        throw new ArgumentException("Store must be 'sqlite:<file>' or 'postgres:<connection string>'.");
    }

    /// <summary>The setting without what may be secret (a connection string's password): its kind only, or the file.</summary>
    public static string Describe(string setting) =>
        setting.StartsWith(SqlitePrefix, StringComparison.Ordinal) ? setting
        : setting.StartsWith(PostgresPrefix, StringComparison.Ordinal) ? "postgres:…"
        : "an unknown kind of store";
}
