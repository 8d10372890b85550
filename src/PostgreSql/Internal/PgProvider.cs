namespace NativeAotPersistence.PostgreSql;

/// <summary>What every PostgreSQL provider shares: its adapter's database, clock and payload context.</summary>
internal abstract class PgProvider
{
    protected PgProvider(PostgresAdapter adapter)
    {
        Adapter = adapter;
        Time = adapter.Options.TimeProvider;
        Prefix = adapter.Options.KeyPrefix;
    }

    protected PostgresAdapter Adapter { get; }

    protected TimeProvider Time { get; }

    public TimeProvider TimeProvider => Time;

    protected string Prefix { get; }

    /// <summary>Gets the connected database, or throws the lifecycle error.</summary>
    protected PgDatabase Db => Adapter.Database;

    protected long NowMs => Ttl.NowMs(Time);

    public PayloadContext? Payloads => Adapter.Options.Payloads;

    protected PayloadTypeInfo<T> Resolve<T>() => PayloadResolver.Resolve<T>(Adapter.Options.Payloads);
}
