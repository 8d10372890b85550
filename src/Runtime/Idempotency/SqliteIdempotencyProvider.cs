using NativeAotPersistence.Sqlite;

namespace NativeAotPersistence;

/// <summary>The SQLite idempotency records: rows of <c>go_goscope_idempotency</c>.</summary>
internal sealed partial class SqliteIdempotencyProvider : SqliteProvider, IIdempotencyStore
{
    private readonly KeyNamespace _ns;
    private readonly SweepSchedule _sweeps = new();

    public SqliteIdempotencyProvider(SqliteContext context)
        : base(context)
    {
        _ns = new KeyNamespace(Prefix, "idempotency");
    }

    public ValueTask<IdempotencyRecord<T>?> GetAsync<T>(string key, CancellationToken cancellationToken = default) =>
        GetAsync(key, Resolve<T>(), cancellationToken);

    public unsafe ValueTask<IdempotencyRecord<T>?> GetAsync<T>(string key, PayloadTypeInfo<T> typeInfo, CancellationToken cancellationToken = default)
    {
        Keys.Validate(key);
        ArgumentNullException.ThrowIfNull(typeInfo);
        return Pool.ReadAsync("idempotency.get", (_ns, key, typeInfo, now: NowMs), &GetBody<T>, cancellationToken);
    }

    private static IdempotencyRecord<T>? GetBody<T>(SqliteConnection c, (KeyNamespace _ns, string key, PayloadTypeInfo<T> typeInfo, long now) s)
    {
        const string op = "idempotency.get";
        return Read(c, s._ns, s.key, s.typeInfo, s.now, op);
    }

    public string GateScope => "sqlite\0" + Context.StoreIdentity + "\0" + Prefix;

    public unsafe ValueTask<T> StoreFirstAsync<T>(string key, T value, TimeSpan? ttl, PayloadTypeInfo<T> typeInfo, CancellationToken cancellationToken)
    {
        var now = NowMs;
        var expiresAt = Ttl.ExpiresAt(ttl, now);
        // One transaction: the record that stopped this one cannot go before it is read.
        return Pool.WriteAsync("idempotency.store", (_ns, key, value, expiresAt, now, typeInfo), &StoreBody<T>, cancellationToken);
    }

    private static unsafe T StoreBody<T>(SqliteConnection c, (KeyNamespace _ns, string key, T value, long? expiresAt, long now, PayloadTypeInfo<T> typeInfo) s) =>
        c.InTransaction(s, &StoreInTransaction<T>, "idempotency.store");

    private static T StoreInTransaction<T>(SqliteConnection c, (KeyNamespace _ns, string key, T value, long? expiresAt, long now, PayloadTypeInfo<T> typeInfo) s)
    {
        const string op = "idempotency.store";
        using (var statement = c.Statement(SqliteIdempotencySql.Add, op))
        {
            statement.BindKey(1, s._ns, s.key);
            statement.BindPayload(2, s.typeInfo, s.value, s.key);
            statement.BindInt64(3, s.expiresAt);
            statement.BindInt64(4, s.now);
            statement.Step();
            if (statement.Changes() == 1)
            {
                return s.value;
            }
        }

        // A live record was stored first: it is the answer.
        return Read(c, s._ns, s.key, s.typeInfo, s.now, op) is { } stored ? stored.Value : s.value;
    }

    private static IdempotencyRecord<T>? Read<T>(SqliteConnection c, KeyNamespace ns, string key, PayloadTypeInfo<T> typeInfo, long now, string op)
    {
        using var statement = c.Statement(SqliteIdempotencySql.Get, op);
        statement.BindKey(1, ns, key);
        statement.BindInt64(2, now);
        if (!statement.StepRow())
        {
            return null;
        }

        var value = statement.ReadPayload(0, typeInfo, key);
        return new IdempotencyRecord<T>(value, statement.ReadNullableTime(1, "go_goscope_idempotency", key));
    }

    public ValueTask SetAsync<T>(string key, T value, TimeSpan? ttl = null, CancellationToken cancellationToken = default) =>
        SetAsync(key, value, ttl, Resolve<T>(), cancellationToken);

    public unsafe ValueTask SetAsync<T>(string key, T value, TimeSpan? ttl, PayloadTypeInfo<T> typeInfo, CancellationToken cancellationToken = default)
    {
        Keys.Validate(key);
        ArgumentNullException.ThrowIfNull(typeInfo);
        var now = NowMs;
        var expiresAt = Ttl.ExpiresAt(ttl, now);
        var sweep = _sweeps.OnWrite(expiresAt, now);
        return Ignore(Pool.WriteAsync("idempotency.set", (_ns, key, value, expiresAt, now, typeInfo, sweep, _sweeps), &SetBody<T>, cancellationToken));
    }

    private static int SetBody<T>(SqliteConnection c, (KeyNamespace _ns, string key, T value, long? expiresAt, long now, PayloadTypeInfo<T> typeInfo, bool sweep, SweepSchedule _sweeps) s)
    {
        const string op = "idempotency.set";
        using (var statement = c.Statement(SqliteIdempotencySql.Set, op))
        {
            statement.BindKey(1, s._ns, s.key);
            statement.BindPayload(2, s.typeInfo, s.value, s.key);
            statement.BindInt64(3, s.expiresAt);
            statement.BindInt64(4, s.now);
            statement.Step();
        }

        if (s.sweep)
        {
            s._sweeps.Swept(SqliteSweep.TryExpired(c, SqliteIdempotencySql.Sweep, "idempotency.sweep", s._ns, s.now, SweepSchedule.Batch));
        }

        return 0;
    }

    public unsafe ValueTask<bool> DeleteAsync(string key, CancellationToken cancellationToken = default)
    {
        Keys.Validate(key);
        return Pool.WriteAsync("idempotency.delete", (_ns, key, now: NowMs), &DeleteBody, cancellationToken);
    }

    private static bool DeleteBody(SqliteConnection c, (KeyNamespace _ns, string key, long now) s)
    {
        const string op = "idempotency.delete";
        using var statement = c.Statement(SqliteIdempotencySql.Delete, op);
        statement.BindKey(1, s._ns, s.key);
        statement.BindInt64(2, s.now);
        return statement.StepReturningInt64() != 0;
    }

    public ValueTask<T> ExecuteOnceAsync<T>(string key, TimeSpan? ttl, Func<CancellationToken, ValueTask<T>> action, CancellationToken cancellationToken = default) =>
        ExecuteOnceAsync(key, ttl, action, Resolve<T>(), cancellationToken);

    public ValueTask<T> ExecuteOnceAsync<T>(string key, TimeSpan? ttl, Func<CancellationToken, ValueTask<T>> action, PayloadTypeInfo<T> typeInfo, CancellationToken cancellationToken = default) =>
        ExecuteOnce.RunAsync(this, Context.DatabaseLeases, Context.Options.DefaultLockTtl, key, ttl, action, typeInfo, cancellationToken);

    public unsafe ValueTask<int> PruneAsync(CancellationToken cancellationToken) =>
        Pool.WriteAsync("idempotency.prune", (_ns, now: NowMs), &PruneBody, cancellationToken);

    private static int PruneBody(SqliteConnection c, (KeyNamespace _ns, long now) s) =>
        SqliteSweep.Expired(c, SqliteIdempotencySql.Sweep, "idempotency.prune", s._ns, s.now, int.MaxValue);
}
