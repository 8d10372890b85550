using System.Buffers;
using System.Text;
using System.Text.Json;
using NativeAotPersistence.PostgreSql;
using Npgsql;
using NpgsqlTypes;

namespace NativeAotPersistence.Benchmarks;

/// <summary>
/// The PostgreSQL floor of `--postgres`: the least Npgsql code that runs the library's own statements for a cache get,
/// a cache set and a Database-scope lock acquire + release — the same SQL text (the library's own constants), the same parameter types, the same transactions (BEGIN, the statements, COMMIT where the
/// library has one), on a data source with the library's settings (<see cref="BuildDataSource"/>: statements
/// auto-prepared), a pooled connection per operation as the library takes one, the payload written by the same
/// generated serializer. What it leaves out is the library: key validation and encoding, options, retries, telemetry.
/// </summary>
internal sealed class PgFloor
{
    // The library's own statements (internals visible to the benchmark), so the floor's SQL cannot drift from them.
    // PgCacheSql.Get: $1 key, $2 now.
    public const string CacheGet = PgCacheSql.Get;

    // PgCacheSql.Set: $1 key, $2 value, $3 expires_at, $4 now.
    public const string CacheSet = PgCacheSql.Set;

    // PgLockSql.Acquire: $1 key, $2 owner, $3 expires_at, $4 now, $5 holder_host, $6 holder_pid, $7 holder_start.
    public const string LockAcquire = PgLockSql.Acquire;

    // PgLockSql.DrawToken: $1 key, $2 expires_at.
    public const string LockDrawToken = PgLockSql.DrawToken;

    // PgLockSql.SetExpiry: $1 key, $2 expires_at.
    public const string LockSetExpiry = PgLockSql.SetExpiry;

    // PgLockSql.Release: $1 key, $2 owner, $3 expires_at (0: any), $4 token (0: any).
    public const string LockRelease = PgLockSql.Release;

    /// <summary>The experiment of `--postgres`: the first statement of a lock transaction, sent in one batch with it.</summary>
    public const string SynchronousCommitOff = "SET LOCAL synchronous_commit = off";

    private readonly NpgsqlDataSource _source;
    private readonly PayloadTypeInfo<SmallPayload> _info;
    private readonly ArrayBufferWriter<byte> _buffer = new(4096);
    private readonly Utf8JsonWriter _writer;
    private readonly bool _synchronousCommitOff;
    private readonly string? _holderHost;
    private readonly long? _holderPid;
    private readonly long? _holderStart;

    /// <param name="source">The data source (<see cref="BuildDataSource"/>).</param>
    /// <param name="info">The payload's generated serializer.</param>
    /// <param name="owner">The lock owner, whose holder record goes into the lock row as the library writes it.</param>
    /// <param name="synchronousCommitOff">Whether each lock transaction starts with <see cref="SynchronousCommitOff"/>.</param>
    public PgFloor(NpgsqlDataSource source, PayloadTypeInfo<SmallPayload> info, string owner, bool synchronousCommitOff = false)
    {
        _source = source;
        _info = info;
        _writer = new Utf8JsonWriter(_buffer);
        _synchronousCommitOff = synchronousCommitOff;
        var holder = HolderIdentity.Current;
        _holderHost = holder?.RecordFor(owner);
        _holderPid = holder?.ProcessId;
        _holderStart = holder?.StartTime;
    }

    /// <summary>What <c>PostgresAdapter.OpenAsync</c> builds (its <c>BuildDataSource</c>; keep the two alike).</summary>
    /// <param name="connectionString">The server.</param>
    /// <param name="resetOnClose">Whether a connection is reset when it goes back to the pool (Npgsql's default; the library's is not).</param>
    public static NpgsqlDataSource BuildDataSource(string connectionString, bool resetOnClose = false)
    {
        var builder = new NpgsqlSlimDataSourceBuilder(connectionString);
        var settings = builder.ConnectionStringBuilder;
        if (settings.MaxAutoPrepare == 0)
        {
            settings.MaxAutoPrepare = 64;
        }

        settings.NoResetOnClose = !resetOnClose;
        settings.ApplicationName ??= "NativeAotPersistence";
        return builder.Build();
    }

    public static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);

    public async ValueTask<SmallPayload?> GetAsync(byte[] key)
    {
        var now = NowMs();
        await using var connection = await _source.OpenConnectionAsync();
        await using var command = new NpgsqlCommand(CacheGet, connection);
        command.Parameters.Add(Bytea(key));
        command.Parameters.Add(Bigint(now));
        await using var reader = await command.ExecuteReaderAsync();
        return await reader.ReadAsync() && !reader.IsDBNull(0) ? _info.Deserialize(reader.GetFieldValue<byte[]>(0)) : null;
    }

    public async ValueTask SetAsync(byte[] key, SmallPayload value)
    {
        _buffer.ResetWrittenCount();
        _writer.Reset(_buffer);
        _info.Write(_writer, value);
        _writer.Flush();
        var now = NowMs();
        await using var connection = await _source.OpenConnectionAsync();
        await using var command = new NpgsqlCommand(CacheSet, connection);
        command.Parameters.Add(Bytea(key));
        command.Parameters.Add(new NpgsqlParameter<ReadOnlyMemory<byte>> { TypedValue = _buffer.WrittenMemory, NpgsqlDbType = NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = DBNull.Value, NpgsqlDbType = NpgsqlDbType.Bigint });
        command.Parameters.Add(Bigint(now));
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>The library's grant of a free key (one transaction: the upsert, the token drawn for a new row, COMMIT); returns the token.</summary>
    public async ValueTask<long> AcquireAsync(byte[] key, byte[] owner, long ttlMs)
    {
        await using var connection = await _source.OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        var now = NowMs();
        var acquire = new NpgsqlBatchCommand(LockAcquire);
        acquire.Parameters.Add(Bytea(key));
        acquire.Parameters.Add(Bytea(owner));
        acquire.Parameters.Add(Bigint(now + ttlMs));
        acquire.Parameters.Add(Bigint(now));
        acquire.Parameters.Add(new NpgsqlParameter { Value = (object?)_holderHost ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        acquire.Parameters.Add(NullableBigint(_holderPid));
        acquire.Parameters.Add(NullableBigint(_holderStart));
        long token = -1;
        await using (var batch = First(connection, transaction, acquire))
        {
            await using var reader = await batch.ExecuteReaderAsync();
            if (await reader.ReadAsync())
            {
                token = reader.GetInt64(0);
                _ = reader.GetBoolean(1);
            }
        }

        if (token == -1)
        {
            throw new InvalidOperationException("The floor's lock was held by another owner.");
        }

        var granted = NowMs();
        if (token == 0)
        {
            await using var draw = new NpgsqlCommand(LockDrawToken, connection, transaction);
            draw.Parameters.Add(Bytea(key));
            draw.Parameters.Add(Bigint(granted + ttlMs));
            token = (long)(await draw.ExecuteScalarAsync())!;
        }
        else if (granted != now)
        {
            await using var set = new NpgsqlCommand(LockSetExpiry, connection, transaction);
            set.Parameters.Add(Bytea(key));
            set.Parameters.Add(Bigint(granted + ttlMs));
            await set.ExecuteNonQueryAsync();
        }

        await transaction.CommitAsync();
        return token;
    }

    /// <summary>The library's release of a held grant: its row deleted by owner and token, in a transaction.</summary>
    public async ValueTask ReleaseAsync(byte[] key, byte[] owner, long token)
    {
        await using var connection = await _source.OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        var release = new NpgsqlBatchCommand(LockRelease);
        release.Parameters.Add(Bytea(key));
        release.Parameters.Add(Bytea(owner));
        release.Parameters.Add(Bigint(0));
        release.Parameters.Add(Bigint(token));
        int deleted;
        await using (var batch = First(connection, transaction, release))
        {
            deleted = await batch.ExecuteNonQueryAsync();
        }

        await transaction.CommitAsync();
        if (deleted != 1)
        {
            throw new InvalidOperationException("The floor's lock was not held at its release.");
        }
    }

    /// <summary>The first statement of a lock transaction, after <see cref="SynchronousCommitOff"/> in the same round trip when asked for.</summary>
    private NpgsqlBatch First(NpgsqlConnection connection, NpgsqlTransaction transaction, NpgsqlBatchCommand command)
    {
        var batch = new NpgsqlBatch(connection, transaction);
        if (_synchronousCommitOff)
        {
            batch.BatchCommands.Add(new NpgsqlBatchCommand(SynchronousCommitOff));
        }

        batch.BatchCommands.Add(command);
        return batch;
    }

    private static NpgsqlParameter<byte[]> Bytea(byte[] value) => new() { TypedValue = value, NpgsqlDbType = NpgsqlDbType.Bytea };

    private static NpgsqlParameter<long> Bigint(long value) => new() { TypedValue = value, NpgsqlDbType = NpgsqlDbType.Bigint };

    private static NpgsqlParameter NullableBigint(long? value) =>
        value is { } v ? Bigint(v) : new NpgsqlParameter { Value = DBNull.Value, NpgsqlDbType = NpgsqlDbType.Bigint };

    private static long NowMs() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
}
