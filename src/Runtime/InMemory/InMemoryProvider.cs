using System.Text.Json;

namespace NativeAotPersistence.InMemory;

/// <summary>What every in-memory provider shares: its adapter's store, clock, prefix and payload context.</summary>
internal abstract class InMemoryProvider
{
    protected InMemoryProvider(InMemoryContext context)
    {
        Context = context;
        Store = context.Store;
        Time = context.Options.TimeProvider;
        Prefix = context.Options.KeyPrefix;
    }

    protected InMemoryContext Context { get; }

    protected InMemoryStore Store { get; }

    protected TimeProvider Time { get; }

    public TimeProvider TimeProvider => Time;

    protected string Prefix { get; }

    protected long NowMs => Ttl.NowMs(Time);

    public PayloadContext? Payloads => Context.Options.Payloads;

    protected PayloadTypeInfo<T> Resolve<T>() => PayloadResolver.Resolve<T>(Context.Options.Payloads);

    /// <summary>
    /// Throws before connect or after disconnect; returns <see langword="false"/> when the operation is cancelled
    /// (the caller then returns a cancelled task, as the SQLite backend does).
    /// </summary>
    protected bool Begin(CancellationToken cancellationToken)
    {
        Context.EnsureConnected();
        return !cancellationToken.IsCancellationRequested;
    }

    /// <summary>Reads a stored payload; a value that does not parse is a <see cref="PayloadFormatException"/>, as on SQLite.</summary>
    protected static T ReadPayload<T>(byte[] utf8, PayloadTypeInfo<T> typeInfo, string key, string operation)
    {
        try
        {
            return typeInfo.Deserialize(utf8);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException or OverflowException or ArgumentException)
        {
            throw PayloadErrors.Format(e, key, typeof(T), operation, InMemoryPersistence.DataSource);
        }
    }
}
