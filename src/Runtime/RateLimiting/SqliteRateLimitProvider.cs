using NativeAotPersistence.Sqlite;

namespace NativeAotPersistence;

/// <summary>
/// Rate-limit state on SQLite: a row of <c>go_goscope_ratelimits</c> per key, read, decided and written in one
/// <c>BEGIN IMMEDIATE</c> transaction on the writer (or a savepoint of a group commit), so the processes on one file
/// share one budget. The clock is read inside the transaction, once the writer was free.
/// </summary>
internal sealed partial class SqliteRateLimitProvider : SqliteProvider, IRateLimitProvider, IRateLimitStore
{
    private readonly KeyNamespace _ns;

    public SqliteRateLimitProvider(SqliteContext context)
        : base(context)
    {
        _ns = new KeyNamespace(Prefix, "ratelimit");
    }

    TimeProvider IRateLimitStore.Time => Time;

    public unsafe ValueTask<long> UpdateAsync(string key, RateLimitRule rule, long argument, CancellationToken cancellationToken) =>
        Pool.WriteAsync("ratelimit.acquire", (_ns, key, rule, argument, Time), &AcquireBody, cancellationToken);

    private static unsafe long AcquireBody(SqliteConnection c, (KeyNamespace _ns, string key, RateLimitRule rule, long argument, TimeProvider Time) s) =>
        c.InTransaction(s, &AcquireInTransaction, "ratelimit.acquire");

    private static long AcquireInTransaction(SqliteConnection c, (KeyNamespace _ns, string key, RateLimitRule rule, long argument, TimeProvider Time) s)
    {
        const string op = "ratelimit.acquire";
        var now = Ttl.NowMs(s.Time);
        string? stored = null;
        using (var select = c.Statement(SqliteRateLimitSql.Select, op))
        {
            select.BindKey(1, s._ns, s.key);
            select.BindInt64(2, now);
            if (select.StepRow())
            {
                stored = select.ReadText(0);
            }
        }

        var result = s.rule.Apply(stored, now, s.argument, out var state, out var expiresAt);
        using (var upsert = c.Statement(SqliteRateLimitSql.Upsert, op))
        {
            upsert.BindKey(1, s._ns, s.key);
            upsert.BindText(2, state);
            upsert.BindInt64(3, now);
            upsert.BindInt64(4, expiresAt);
            upsert.Step();
        }

        return result;
    }

    public unsafe ValueTask<bool> ResetAsync(string key, CancellationToken cancellationToken = default)
    {
        Keys.Validate(key);
        return Pool.WriteAsync("ratelimit.reset", (_ns, key), &ResetBody, cancellationToken);
    }

    private static bool ResetBody(SqliteConnection c, (KeyNamespace _ns, string key) s)
    {
        const string op = "ratelimit.reset";
        using var statement = c.Statement(SqliteRateLimitSql.Reset, op);
        statement.BindKey(1, s._ns, s.key);
        statement.Step();
        return statement.Changes() == 1;
    }
}
