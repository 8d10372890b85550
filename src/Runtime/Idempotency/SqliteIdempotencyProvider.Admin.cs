using System.Diagnostics.CodeAnalysis;
using NativeAotPersistence.Sqlite;

namespace NativeAotPersistence;

internal sealed partial class SqliteIdempotencyProvider : IPrunable, IAdminSource, IAdminListing<IdempotencyKeySummary>
{
    public unsafe ValueTask<PersistenceStats> AddStatsAsync(PersistenceStats stats, CancellationToken cancellationToken) =>
        Pool.ReadAsync("admin.stats", (stats, _ns, now: NowMs), &StatsBody, cancellationToken);

    private static PersistenceStats StatsBody(SqliteConnection c, (PersistenceStats stats, KeyNamespace _ns, long now) s) =>
        s.stats with { Idempotency = SqliteCounts.LiveAndExpired(c, SqliteIdempotencySql.AdminCounts, s._ns, s.now, "admin.stats") };

    public unsafe ValueTask<IReadOnlyList<IdempotencyKeySummary>> AdminListAsync(string? pattern, CancellationToken cancellationToken) =>
        Pool.ReadAsync("admin.idempotency", (_ns, pattern, now: NowMs), &AdminListBody, cancellationToken);

    [SuppressMessage("Performance", "CA1859", Justification = "The read's result type, which its caller returns: a List body would not match the function pointer.")]
    private static IReadOnlyList<IdempotencyKeySummary> AdminListBody(SqliteConnection c, (KeyNamespace _ns, string? pattern, long now) s)
    {
        const string op = "admin.idempotency";
        var list = new List<IdempotencyKeySummary>();
        using (var statement = c.Statement(SqliteIdempotencySql.AdminList, op))
        {
            statement.BindRange(s._ns, Glob.LiteralPrefix(s.pattern));
            statement.BindInt64(3, s.now);
            while (statement.StepRow())
            {
                var key = statement.ReadText(0, s._ns.Utf8.Length);
                if (!Glob.IsMatch(s.pattern, key))
                {
                    continue;
                }

                try
                {
                    list.Add(new IdempotencyKeySummary(
                        key,
                        statement.ReadNullableTime(1, "go_goscope_idempotency", key),
                        statement.ReadNullableTime(2, "go_goscope_idempotency", key),
                        statement.ColumnInt(3)));
                }
                catch (PersistenceException e) when (RowSkips.Skip(e, op, "go_goscope_idempotency", key))
                {
                }
            }
        }

        list.Sort(static (a, b) => string.CompareOrdinal(a.Key, b.Key));
        return list;
    }
}
