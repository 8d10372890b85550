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

    public ValueTask<T> UpdateAsync<TState, T>(string key, TState state, RateLimitUpdate<TState, T> update, CancellationToken cancellationToken) =>
        Pool.WriteAsync("ratelimit.acquire", (_ns, key, state, update, Time), static (c, s) =>
            c.InTransaction(s, static (c, s) =>
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

                var result = s.update(stored, now, s.state);
                using (var upsert = c.Statement(SqliteRateLimitSql.Upsert, op))
                {
                    upsert.BindKey(1, s._ns, s.key);
                    upsert.BindText(2, result.State);
                    upsert.BindInt64(3, now);
                    upsert.BindInt64(4, result.ExpiresAtMs);
                    upsert.Step();
                }

                return result.Result;
            }, "ratelimit.acquire"), cancellationToken);

    public ValueTask<bool> ResetAsync(string key, CancellationToken cancellationToken = default)
    {
        Keys.Validate(key);
        return Pool.WriteAsync("ratelimit.reset", (_ns, key), static (c, s) =>
        {
            const string op = "ratelimit.reset";
            using var statement = c.Statement(SqliteRateLimitSql.Reset, op);
            statement.BindKey(1, s._ns, s.key);
            statement.Step();
            return statement.Changes() == 1;
        }, cancellationToken);
    }
}
