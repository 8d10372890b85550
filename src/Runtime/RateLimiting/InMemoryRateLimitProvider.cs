using NativeAotPersistence.InMemory;

namespace NativeAotPersistence;

/// <summary>The in-memory rate-limit state: each update under the table's lock; the model the other backends are tested against.</summary>
internal sealed class InMemoryRateLimitProvider : InMemoryProvider, IRateLimitProvider, IRateLimitStore, IPrunable, IAdminSource
{
    private readonly KeyNamespace _ns;
    private readonly RateLimitTable _table;

    public InMemoryRateLimitProvider(InMemoryContext context)
        : base(context)
    {
        _ns = new KeyNamespace(Prefix, "ratelimit");
        _table = Store.RateLimits;
    }

    TimeProvider IRateLimitStore.Time => Time;

    public ValueTask<long> UpdateAsync(string key, RateLimitRule rule, long argument, CancellationToken cancellationToken)
    {
        if (!Begin(cancellationToken))
        {
            return ValueTask.FromCanceled<long>(cancellationToken);
        }

        var stored = _ns.Stored(key);
        lock (_table.Sync)
        {
            var now = NowMs;
            var current = _table.Keys.TryGetValue(stored, out var row) && now < row.ExpiresAtMs ? row.State : null;
            var result = rule.Apply(current, now, argument, out var state, out var expiresAt);
            _table.Keys[stored] = new RateLimitRow(state, expiresAt);
            return new ValueTask<long>(result);
        }
    }

    public ValueTask<bool> ResetAsync(string key, CancellationToken cancellationToken = default)
    {
        Keys.Validate(key);
        if (!Begin(cancellationToken))
        {
            return ValueTask.FromCanceled<bool>(cancellationToken);
        }

        lock (_table.Sync)
        {
            return new ValueTask<bool>(_table.Keys.Remove(_ns.Stored(key)));
        }
    }

    public ValueTask<int> PruneAsync(CancellationToken cancellationToken)
    {
        var now = NowMs;
        var removed = 0;
        lock (_table.Sync)
        {
            foreach (var (stored, row) in _table.Keys)
            {
                if (_ns.Contains(stored) && row.ExpiresAtMs <= now)
                {
                    _table.Keys.Remove(stored);
                    removed++;
                }
            }
        }

        return new ValueTask<int>(removed);
    }

    public ValueTask<PersistenceStats> AddStatsAsync(PersistenceStats stats, CancellationToken cancellationToken)
    {
        Context.EnsureConnected();
        var now = NowMs;
        int live = 0, expired = 0;
        lock (_table.Sync)
        {
            foreach (var (stored, row) in _table.Keys)
            {
                if (_ns.Contains(stored))
                {
                    _ = now < row.ExpiresAtMs ? live++ : expired++;
                }
            }
        }

        return new ValueTask<PersistenceStats>(stats with { RateLimits = new RowCounts(live, expired) });
    }
}
