namespace NativeAotPersistence.PostgreSql;

/// <summary>What every PostgreSQL provider shares: its adapter's context (database, options, clock, payload context).</summary>
internal abstract class PgProvider
{
    protected PgProvider(PgContext context)
    {
        Context = context;
        Time = context.Time;
        Prefix = context.Prefix;
    }

    protected PgContext Context { get; }

    protected TimeProvider Time { get; }

    public TimeProvider TimeProvider => Time;

    protected string Prefix { get; }

    /// <summary>Gets the connected database, or throws the lifecycle error.</summary>
    protected PgDatabase Db => Context.Database;

    protected long NowMs => Ttl.NowMs(Time);

    public PayloadContext? Payloads => Context.Options.Payloads;

    protected PayloadTypeInfo<T> Resolve<T>() => PayloadResolver.Resolve<T>(Context.Options.Payloads);
}
