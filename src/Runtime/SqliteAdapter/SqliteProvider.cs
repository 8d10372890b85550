namespace NativeAotPersistence.Sqlite;

/// <summary>What every SQLite provider shares: its context's connections, clock and payload context.</summary>
internal abstract class SqliteProvider
{
    protected SqliteProvider(SqliteContext context)
    {
        Context = context;
        Time = context.Options.TimeProvider;
        Prefix = context.Options.KeyPrefix;
    }

    protected SqliteContext Context { get; }

    protected TimeProvider Time { get; }

    public TimeProvider TimeProvider => Time;

    protected string Prefix { get; }

    protected SqliteConnectionPool Pool => Context.Pool;

    protected long NowMs => Ttl.NowMs(Time);

    public PayloadContext? Payloads => Context.Options.Payloads;

    protected PayloadTypeInfo<T> Resolve<T>() => PayloadResolver.Resolve<T>(Context.Options.Payloads);

    /// <summary>Completes with the value, awaiting only when the operation went asynchronous.</summary>
    protected static ValueTask<TOut> Map<TIn, TOut>(ValueTask<TIn> task, Func<TIn, TOut> map)
    {
        if (task.IsCompletedSuccessfully)
        {
            return new ValueTask<TOut>(map(task.Result));
        }

        return Await(task, map);

        static async ValueTask<TOut> Await(ValueTask<TIn> task, Func<TIn, TOut> map) => map(await task.ConfigureAwait(false));
    }

    /// <summary>Drops the result of a write, without a state machine when it completed synchronously.</summary>
    protected static ValueTask Ignore<T>(ValueTask<T> task)
    {
        if (task.IsCompletedSuccessfully)
        {
            _ = task.Result;
            return ValueTask.CompletedTask;
        }

        return Await(task);

        static async ValueTask Await(ValueTask<T> task) => await task.ConfigureAwait(false);
    }
}
