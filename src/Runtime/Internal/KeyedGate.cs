namespace NativeAotPersistence;

/// <summary>
/// One asynchronous mutex per key, created on demand and dropped when nobody holds or waits for it: the in-process
/// single-flight behind ExecuteOnce and GetOrSet.
/// </summary>
internal sealed class KeyedGate
{
    private readonly Dictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly Lock _sync = new();

    public async ValueTask<Releaser> EnterAsync(string key, CancellationToken cancellationToken)
    {
        Entry entry;
        lock (_sync)
        {
            if (!_entries.TryGetValue(key, out entry!))
            {
                entry = new Entry();
                _entries.Add(key, entry);
            }

            entry.References++;
        }

        try
        {
            await entry.Semaphore.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            Drop(key, entry);
            throw;
        }

        return new Releaser(this, key, entry);
    }

    private void Drop(string key, Entry entry)
    {
        lock (_sync)
        {
            if (--entry.References == 0)
            {
                _entries.Remove(key);
                entry.Semaphore.Dispose();
            }
        }
    }

    public readonly struct Releaser : IDisposable
    {
        private readonly KeyedGate _gate;
        private readonly string _key;
        private readonly Entry _entry;

        internal Releaser(KeyedGate gate, string key, Entry entry)
        {
            _gate = gate;
            _key = key;
            _entry = entry;
        }

        public void Dispose()
        {
            _entry.Semaphore.Release();
            _gate.Drop(_key, _entry);
        }
    }

    internal sealed class Entry
    {
        public SemaphoreSlim Semaphore { get; } = new(1, 1);

        public int References { get; set; }
    }
}
