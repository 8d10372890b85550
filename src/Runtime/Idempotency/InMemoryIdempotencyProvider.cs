using NativeAotPersistence.InMemory;

namespace NativeAotPersistence;

/// <summary>The in-memory idempotency records: the rows of <see cref="SqliteIdempotencyProvider"/> in an <see cref="ExpiringTable"/>.</summary>
internal sealed partial class InMemoryIdempotencyProvider : InMemoryProvider, IIdempotencyStore
{
    private readonly KeyNamespace _ns;
    private readonly ExpiringTable _table;
    // The same amortized reclaim as SQLite.
    private readonly SweepSchedule _sweeps = new();

    public InMemoryIdempotencyProvider(InMemoryContext context)
        : base(context)
    {
        _ns = new KeyNamespace(Prefix, "idempotency");
        _table = Store.Idempotency;
    }

    public ValueTask<IdempotencyRecord<T>?> GetAsync<T>(string key, CancellationToken cancellationToken = default) =>
        GetAsync(key, Resolve<T>(), cancellationToken);

    public ValueTask<IdempotencyRecord<T>?> GetAsync<T>(string key, PayloadTypeInfo<T> typeInfo, CancellationToken cancellationToken = default)
    {
        Keys.Validate(key);
        ArgumentNullException.ThrowIfNull(typeInfo);
        var now = NowMs;
        if (!Begin(cancellationToken))
        {
            return ValueTask.FromCanceled<IdempotencyRecord<T>?>(cancellationToken);
        }

        ExpiringRow row;
        lock (_table.Sync)
        {
            if (!_table.TryGet(_ns.Stored(key), out row) || !Ttl.IsLive(row.ExpiresAtMs, now))
            {
                return new ValueTask<IdempotencyRecord<T>?>((IdempotencyRecord<T>?)null);
            }
        }

        var value = ReadPayload(row.Value, typeInfo, key, "idempotency.get");
        return new ValueTask<IdempotencyRecord<T>?>(new IdempotencyRecord<T>(value, row.ExpiresAtMs is { } ms ? Ttl.FromUnixMs(ms) : null));
    }

    public string GateScope => "memory\0" + Store.Id + "\0" + Prefix;

    public ValueTask<T> StoreFirstAsync<T>(string key, T value, TimeSpan? ttl, PayloadTypeInfo<T> typeInfo, CancellationToken cancellationToken)
    {
        var now = NowMs;
        var expiresAt = Ttl.ExpiresAt(ttl, now);
        if (!Begin(cancellationToken))
        {
            return ValueTask.FromCanceled<T>(cancellationToken);
        }

        var bytes = typeInfo.SerializeFor(key, value);
        var stored = _ns.Stored(key);
        byte[] first;
        lock (_table.Sync)
        {
            if (!_table.TryGet(stored, out var existing) || !Ttl.IsLive(existing.ExpiresAtMs, now))
            {
                _table.Put(stored, new ExpiringRow(bytes, expiresAt, now, now));
                return new ValueTask<T>(value);
            }

            first = existing.Value;
        }

        // A live record was stored first: it is the answer.
        return new ValueTask<T>(ReadPayload(first, typeInfo, key, "idempotency.store"));
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
        if (!Begin(cancellationToken))
        {
            return ValueTask.FromCanceled(cancellationToken);
        }

        var bytes = typeInfo.SerializeFor(key, value);
        var stored = _ns.Stored(key);
        lock (_table.Sync)
        {
            // An upsert keeps created_at, as SQLite's ON CONFLICT DO UPDATE does.
            var createdAt = _table.TryGet(stored, out var existing) ? existing.CreatedAtMs : now;
            _table.Put(stored, new ExpiringRow(bytes, expiresAt, createdAt, now));
            if (sweep)
            {
                _sweeps.Swept(_table.Sweep(_ns, now, SweepSchedule.Batch));
            }
        }

        return ValueTask.CompletedTask;
    }

    public ValueTask<bool> DeleteAsync(string key, CancellationToken cancellationToken = default)
    {
        Keys.Validate(key);
        var now = NowMs;
        if (!Begin(cancellationToken))
        {
            return ValueTask.FromCanceled<bool>(cancellationToken);
        }

        lock (_table.Sync)
        {
            return new ValueTask<bool>(_table.RemoveLive(_ns.Stored(key), now));
        }
    }

    public ValueTask<T> ExecuteOnceAsync<T>(string key, TimeSpan? ttl, Func<CancellationToken, ValueTask<T>> action, CancellationToken cancellationToken = default) =>
        ExecuteOnceAsync(key, ttl, action, Resolve<T>(), cancellationToken);

    public ValueTask<T> ExecuteOnceAsync<T>(string key, TimeSpan? ttl, Func<CancellationToken, ValueTask<T>> action, PayloadTypeInfo<T> typeInfo, CancellationToken cancellationToken = default) =>
        ExecuteOnce.RunAsync(this, Context.DatabaseLeases, Context.Options.DefaultLockTtl, key, ttl, action, typeInfo, cancellationToken);

    /// <summary>Removes every expired record of this namespace now.</summary>
    internal int Prune(long nowMs)
    {
        lock (_table.Sync)
        {
            return _table.Sweep(_ns, nowMs, int.MaxValue);
        }
    }
}
