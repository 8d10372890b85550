namespace NativeAotPersistence.PostgreSql;

/// <summary>
/// One kind's piece of the schema, declared in its folder and registered with <see cref="PgSchema"/>: the tables it
/// owns (counted in the admin size), its other objects (a sequence), and the script that creates them and migrates
/// older versions of them (<c>CREATE … IF NOT EXISTS</c>, <c>ALTER … ADD COLUMN IF NOT EXISTS</c>), safe to run again.
/// </summary>
/// <param name="Tables">The tables, unqualified (resolved through search_path).</param>
/// <param name="Others">The other objects whose absence makes the schema incomplete.</param>
/// <param name="CreateScript">The statements that create or migrate them; they run in the schema's one transaction.</param>
internal sealed record PgTable(string[] Tables, string[] Others, string CreateScript);
