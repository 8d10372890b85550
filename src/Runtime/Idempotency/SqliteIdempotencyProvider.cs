using NativeAotPersistence.Sqlite;
using static SQLitePCL.raw;

namespace NativeAotPersistence;

/// <summary>The SQLite idempotency records: rows of <c>go_goscope_idempotency</c>.</summary>
internal sealed partial class SqliteIdempotencyProvider : SqliteProvider, IIdempotencyStore
{
    private readonly KeyNamespace _ns;
    private readonly SweepSchedule _sweeps = new();

    public SqliteIdempotencyProvider(SqliteAdapter adapter)
        : base(adapter)
    {
        _ns = new KeyNamespace(Prefix, "idempotency");
    }

    public ValueTask<IdempotencyRecord<T>?> GetAsync<T>(string key, CancellationToken cancellationToken = default) =>
        GetAsync(key, Resolve<T>(), cancellationToken);

    public ValueTask<IdempotencyRecord<T>?> GetAsync<T>(string key, PayloadTypeInfo<T> typeInfo, CancellationToken cancellationToken = default)
    {
        Keys.Validate(key);
        ArgumentNullException.ThrowIfNull(typeInfo);
        return Pool.ReadAsync("idempotency.get", (_ns, key, typeInfo, NowMs), static (c, s) =>
        {
            const string op = "idempotency.get";
            return Read(c, s._ns, s.key, s.typeInfo, s.Item4, op);
        }, cancellationToken);
    }

    public string GateScope => "sqlite\0" + Adapter.StoreIdentity + "\0" + Prefix;

    public ValueTask<T> StoreFirstAsync<T>(string key, T value, TimeSpan? ttl, PayloadTypeInfo<T> typeInfo, CancellationToken cancellationToken)
    {
        var now = NowMs;
        var expiresAt = Ttl.ExpiresAt(ttl, now);
        // One transaction: the record that stopped this one cannot go before it is read.
        return Pool.WriteAsync("idempotency.store", (_ns, key, value, expiresAt, now, typeInfo), static (c, s) => c.InTransaction(s, static (c, s) =>
        {
            const string op = "idempotency.store";
            var statement = c.Statement(SqlId.IdempotencyAdd, op);
            try
            {
                c.BindKey(statement, 1, s._ns, s.key, op);
                c.BindPayload(statement, 2, s.typeInfo, s.value, op, s.key);
                c.BindInt64(statement, 3, s.expiresAt, op);
                c.BindInt64(statement, 4, s.now, op);
                c.Check(Sqlite3.Step(statement), op);
                if (Sqlite3.Changes(c.Handle) == 1)
                {
                    return s.value;
                }
            }
            finally
            {
                c.Reset(statement);
            }

            // A live record was stored first: it is the answer.
            return Read(c, s._ns, s.key, s.typeInfo, s.now, op) is { } stored ? stored.Value : s.value;
        }, "idempotency.store"), cancellationToken);
    }

    private static IdempotencyRecord<T>? Read<T>(SqliteConnection c, KeyNamespace ns, string key, PayloadTypeInfo<T> typeInfo, long now, string op)
    {
        var statement = c.Statement(SqlId.IdempotencyGet, op);
        try
        {
            c.BindKey(statement, 1, ns, key, op);
            c.BindInt64(statement, 2, now, op);
            if (c.Check(Sqlite3.Step(statement), op) != SQLITE_ROW)
            {
                return null;
            }

            var value = c.ReadPayload(statement, 0, typeInfo, key, op);
            return new IdempotencyRecord<T>(value, c.ReadNullableTime(statement, 1, "go_goscope_idempotency", key, op));
        }
        finally
        {
            c.Reset(statement);
        }
    }

    public ValueTask SetAsync<T>(string key, T value, TimeSpan? ttl = null, CancellationToken cancellationToken = default) =>
        SetAsync(key, value, ttl, Resolve<T>(), cancellationToken);

    public ValueTask SetAsync<T>(string key, T value, TimeSpan? ttl, PayloadTypeInfo<T> typeInfo, CancellationToken cancellationToken = default)
    {
        Keys.Validate(key);
        ArgumentNullException.ThrowIfNull(typeInfo);
        var now = NowMs;
        var expiresAt = Ttl.ExpiresAt(ttl, now);
        var sweep = _sweeps.OnWrite(expiresAt, now);
        return Ignore(Pool.WriteAsync("idempotency.set", (_ns, key, value, expiresAt, now, typeInfo, sweep, _sweeps), static (c, s) =>
        {
            const string op = "idempotency.set";
            var statement = c.Statement(SqlId.IdempotencySet, op);
            try
            {
                c.BindKey(statement, 1, s._ns, s.key, op);
                c.BindPayload(statement, 2, s.typeInfo, s.value, op, s.key);
                c.BindInt64(statement, 3, s.expiresAt, op);
                c.BindInt64(statement, 4, s.now, op);
                c.Check(Sqlite3.Step(statement), op);
            }
            finally
            {
                c.Reset(statement);
            }

            if (s.sweep)
            {
                s._sweeps.Swept(SqliteCacheProvider.TrySweep(c, SqlId.IdempotencySweep, "idempotency.sweep", s._ns, s.now, SweepSchedule.Batch));
            }

            return 0;
        }, cancellationToken));
    }

    public ValueTask<bool> DeleteAsync(string key, CancellationToken cancellationToken = default)
    {
        Keys.Validate(key);
        return Pool.WriteAsync("idempotency.delete", (_ns, key, NowMs), static (c, s) =>
        {
            const string op = "idempotency.delete";
            var statement = c.Statement(SqlId.IdempotencyDelete, op);
            try
            {
                c.BindKey(statement, 1, s._ns, s.key, op);
                c.BindInt64(statement, 2, s.Item3, op);
                return c.StepReturningInt64(statement, op) != 0;
            }
            finally
            {
                c.Reset(statement);
            }
        }, cancellationToken);
    }

    public ValueTask<T> ExecuteOnceAsync<T>(string key, TimeSpan? ttl, Func<CancellationToken, ValueTask<T>> action, CancellationToken cancellationToken = default) =>
        ExecuteOnceAsync(key, ttl, action, Resolve<T>(), cancellationToken);

    public ValueTask<T> ExecuteOnceAsync<T>(string key, TimeSpan? ttl, Func<CancellationToken, ValueTask<T>> action, PayloadTypeInfo<T> typeInfo, CancellationToken cancellationToken = default) =>
        ExecuteOnce.RunAsync(this, Adapter.Locks as SqliteLockProvider, Adapter.Options.DefaultLockTtl, key, ttl, action, typeInfo, cancellationToken);

    public ValueTask<int> PruneAsync(CancellationToken cancellationToken) =>
        Pool.WriteAsync("idempotency.prune", (_ns, NowMs), static (c, s) =>
            SqliteCacheProvider.SweepExpired(c, SqlId.IdempotencySweep, "idempotency.prune", s._ns, s.NowMs, int.MaxValue), cancellationToken);
}
