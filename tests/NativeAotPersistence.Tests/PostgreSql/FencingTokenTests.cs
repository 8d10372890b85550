using Npgsql;

namespace NativeAotPersistence.Tests.PostgreSql;

/// <summary>Fencing tokens on PostgreSQL when an acquirer is delayed inside its own insert.</summary>
public sealed class FencingTokenTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<object?> ScalarAsync(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        return await command.ExecuteScalarAsync(Ct);
    }

    [Fact]
    public async Task AnAcquirerDelayedInItsInsert_StillGetsATokenAboveEveryEarlierHolders()
    {
        var connectionString = await PostgresServer.CreateSchemaAsync();
        await using var slow = await PostgresAdapter.OpenAsync(connectionString, new PersistenceAdapterOptions { LockScope = LockScope.Database }, Ct);
        await using var fast = await PostgresAdapter.OpenAsync(connectionString, new PersistenceAdapterOptions { LockScope = LockScope.Database }, Ct);

        // A row trigger that parks the "slow" owner's insert on an advisory lock the test holds: the insert has
        // evaluated its VALUES but not yet claimed the key, the moment a real acquirer can be descheduled at.
        await using var control = new NpgsqlConnection(connectionString);
        await control.OpenAsync(Ct);
        await ScalarAsync(control, """
            CREATE FUNCTION park_slow() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
              IF NEW.owner = convert_to('slow', 'UTF8') THEN PERFORM pg_advisory_xact_lock(4242); END IF;
              RETURN NEW;
            END $$;
            CREATE TRIGGER park_slow BEFORE INSERT ON go_goscope_locks FOR EACH ROW EXECUTE FUNCTION park_slow();
            """);
        await ScalarAsync(control, "SELECT pg_advisory_lock(4242)");

        var parked = slow.Locks.AcquireAsync("job", TimeSpan.FromMinutes(1), "slow", Ct).AsTask();
        while ((long)(await ScalarAsync(control, "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objid = 4242 AND NOT granted"))! == 0)
        {
            Assert.False(parked.IsCompleted, "The slow acquire finished before it was parked.");
            await Task.Delay(5, Ct);
        }

        // While it is parked, another node takes the key and lets it go.
        var earlier = await fast.Locks.AcquireAsync("job", TimeSpan.FromMinutes(1), "fast", Ct);
        Assert.NotNull(earlier);
        await earlier.ReleaseAsync(Ct);

        await ScalarAsync(control, "SELECT pg_advisory_unlock(4242)");
        var later = await parked.WaitAsync(TimeSpan.FromSeconds(60), Ct);

        Assert.NotNull(later);
        Assert.True(later.FencingToken > earlier.FencingToken, $"The later holder got token {later.FencingToken}, the earlier one {earlier.FencingToken}.");
    }
}
