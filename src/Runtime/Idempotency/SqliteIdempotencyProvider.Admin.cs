using NativeAotPersistence.Sqlite;
using static SQLitePCL.raw;

namespace NativeAotPersistence;

internal sealed partial class SqliteIdempotencyProvider : IPrunable, IAdminSource, IAdminListing<IdempotencyKeySummary>
{
    public ValueTask<PersistenceStats> AddStatsAsync(PersistenceStats stats, CancellationToken cancellationToken) =>
        Pool.ReadAsync("admin.stats", (stats, _ns, now: NowMs), static (c, s) =>
            s.stats with { Idempotency = SqliteCounts.LiveAndExpired(c, SqlId.AdminIdempotencyCounts, s._ns, s.now, "admin.stats") }, cancellationToken);

    public ValueTask<IReadOnlyList<IdempotencyKeySummary>> AdminListAsync(string? pattern, CancellationToken cancellationToken) =>
        Pool.ReadAsync("admin.idempotency", (_ns, pattern, now: NowMs), static (c, s) =>
        {
            const string op = "admin.idempotency";
            var list = new List<IdempotencyKeySummary>();
            var statement = c.Statement(SqlId.AdminIdempotency, op);
            try
            {
                c.BindRange(statement, s._ns, Glob.LiteralPrefix(s.pattern), op);
                c.BindInt64(statement, 3, s.now, op);
                while (c.Check(Sqlite3.Step(statement), op) == SQLITE_ROW)
                {
                    var key = SqliteConnection.ReadText(statement, 0, s._ns.Utf8.Length);
                    if (!Glob.IsMatch(s.pattern, key))
                    {
                        continue;
                    }

                    try
                    {
                        list.Add(new IdempotencyKeySummary(
                            key,
                            c.ReadNullableTime(statement, 1, "go_goscope_idempotency", key, op),
                            c.ReadNullableTime(statement, 2, "go_goscope_idempotency", key, op),
                            Sqlite3.ColumnInt(statement, 3)));
                    }
                    catch (PersistenceException e) when (RowSkips.Skip(e, op, "go_goscope_idempotency", key))
                    {
                    }
                }
            }
            finally
            {
                c.Reset(statement);
            }

            list.Sort(static (a, b) => string.CompareOrdinal(a.Key, b.Key));
            return (IReadOnlyList<IdempotencyKeySummary>)list;
        }, cancellationToken);
}
