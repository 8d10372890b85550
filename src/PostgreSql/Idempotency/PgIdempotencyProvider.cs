using NativeAotPersistence.PostgreSql;

namespace NativeAotPersistence;

/// <summary>The PostgreSQL idempotency records: rows of <c>go_goscope_idempotency</c>.</summary>
internal sealed partial class PgIdempotencyProvider : PgProvider, IIdempotencyStore
{
    private readonly KeyNamespace _ns;
    private readonly SweepSchedule _sweeps = new();

    public PgIdempotencyProvider(PgContext context)
        : base(context)
    {
        _ns = new KeyNamespace(Prefix, "idempotency");
    }

    public ValueTask<IdempotencyRecord<T>?> GetAsync<T>(string key, CancellationToken cancellationToken = default) =>
        GetAsync(key, Resolve<T>(), cancellationToken);

    public ValueTask<IdempotencyRecord<T>?> GetAsync<T>(string key, PayloadTypeInfo<T> typeInfo, CancellationToken cancellationToken = default)
    {
        Keys.Validate(key);
        ArgumentNullException.ThrowIfNull(typeInfo);
        var db = Db;
        return db.RunAsync("idempotency.get", PgWork.Read, (_ns, key, typeInfo, NowMs, db.DataSource), static async (c, s, ct) =>
        {
            await using var command = c.Command(PgIdempotencySql.Get).Key(s._ns, s.key).Int64(s.NowMs);
            var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
            await using (reader.ConfigureAwait(false))
            {
                if (!await reader.ReadAsync(ct).ConfigureAwait(false))
                {
                    return null;
                }

                var value = reader.ReadPayload(0, s.typeInfo, s.key, "idempotency.get", s.DataSource);
                return new IdempotencyRecord<T>(value, reader.ReadNullableTime(1, "go_goscope_idempotency", s.key, "idempotency.get", s.DataSource));
            }
        }, cancellationToken);
    }

    public ValueTask SetAsync<T>(string key, T value, TimeSpan? ttl = null, CancellationToken cancellationToken = default) =>
        SetAsync(key, value, ttl, Resolve<T>(), cancellationToken);

    public async ValueTask SetAsync<T>(string key, T value, TimeSpan? ttl, PayloadTypeInfo<T> typeInfo, CancellationToken cancellationToken = default)
    {
        Keys.Validate(key);
        ArgumentNullException.ThrowIfNull(typeInfo);
        var now = NowMs;
        var expiresAt = Ttl.ExpiresAt(ttl, now);
        var json = StoredPayloads.Serialize(typeInfo, key, value);
        var sweep = _sweeps.OnWrite(expiresAt, now);
        await Db.RunAsync("idempotency.set", PgWork.Idempotent, (self: this, key, json, expiresAt, now, sweep), static async (c, s, ct) =>
        {
            await using (var command = c.Command(PgIdempotencySql.Set).Key(s.self._ns, s.key).Json(s.json).Int64(s.expiresAt).Int64(s.now))
            {
                await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            }

            if (s.sweep)
            {
                await PgSweep.TrySweepAsync(c, PgIdempotencySql.Sweep, s.self._ns, s.now, s.self._sweeps).ConfigureAwait(false);
            }

            return 0;
        }, cancellationToken).ConfigureAwait(false);
    }

    public string GateScope => "postgresql\0" + Context.StoreIdentity + "\0" + Prefix;

    public ValueTask<T> StoreFirstAsync<T>(string key, T value, TimeSpan? ttl, PayloadTypeInfo<T> typeInfo, CancellationToken cancellationToken)
    {
        var now = NowMs;
        var expiresAt = Ttl.ExpiresAt(ttl, now);
        var json = StoredPayloads.Serialize(typeInfo, key, value);
        var db = Db;

        // A transaction: whether this call stored is its result, so it must not be repeated after an ambiguous commit.
        return db.RunAsync("idempotency.store", PgWork.Transaction, (_ns, key, value, json, expiresAt, now, typeInfo, db.DataSource), static async (c, s, ct) =>
        {
            await using (var add = c.Command(PgIdempotencySql.Add).Key(s._ns, s.key).Json(s.json).Int64(s.expiresAt).Int64(s.now))
            {
                if (await add.ExecuteNonQueryAsync(ct).ConfigureAwait(false) == 1)
                {
                    return s.value;
                }
            }

            // A live record was stored first: it is the answer.
            await using var get = c.Command(PgIdempotencySql.Get).Key(s._ns, s.key).Int64(s.now);
            var reader = await get.ExecuteReaderAsync(ct).ConfigureAwait(false);
            await using (reader.ConfigureAwait(false))
            {
                return await reader.ReadAsync(ct).ConfigureAwait(false)
                    ? reader.ReadPayload(0, s.typeInfo, s.key, "idempotency.store", s.DataSource)
                    : s.value;
            }
        }, cancellationToken);
    }

    public ValueTask<bool> DeleteAsync(string key, CancellationToken cancellationToken = default)
    {
        Keys.Validate(key);
        return Db.RunAsync("idempotency.delete", PgWork.Transaction, (_ns, key, NowMs), static async (c, s, ct) =>
        {
            await using var command = c.Command(PgIdempotencySql.Delete).Key(s._ns, s.key).Int64(s.NowMs);
            return await command.ExecuteScalarAsync(ct).ConfigureAwait(false) is true;
        }, cancellationToken);
    }

    public ValueTask<T> ExecuteOnceAsync<T>(string key, TimeSpan? ttl, Func<CancellationToken, ValueTask<T>> action, CancellationToken cancellationToken = default) =>
        ExecuteOnceAsync(key, ttl, action, Resolve<T>(), cancellationToken);

    // The adapter's database locks are the lease store that makes other processes wait; with LockScope.Process the
    // adapter's locks are the process's and the in-process gate is enough (no lease).
    public ValueTask<T> ExecuteOnceAsync<T>(string key, TimeSpan? ttl, Func<CancellationToken, ValueTask<T>> action, PayloadTypeInfo<T> typeInfo, CancellationToken cancellationToken = default) =>
        ExecuteOnce.RunAsync(
            this,
            Context.Options.LockScope == LockScope.Database ? Context.Locks as ILeaseStore : null,
            Context.Options.DefaultLockTtl,
            key,
            ttl,
            action,
            typeInfo,
            cancellationToken);

    public ValueTask<int> PruneAsync(CancellationToken cancellationToken) =>
        Db.RunAsync("idempotency.prune", PgWork.Idempotent, (_ns, NowMs), static (c, s, ct) =>
            PgSweep.SweepAsync(c, PgIdempotencySql.Sweep, s._ns, s.NowMs, int.MaxValue, ct), cancellationToken);
}
