using Microsoft.Extensions.Caching.Distributed;
using Npgsql;

namespace NativeAotPersistence.Benchmarks;

/// <summary>
/// The peer of `--postgres` for cache get and set: an <see cref="IDistributedCache"/> over PostgreSQL as people write
/// one by hand, or as the Microsoft-style packages do — one table (id, value bytes, expiry, sliding window, absolute
/// expiry), a pooled connection and one statement per call with named parameters, the application's clock, and the
/// caller's own JSON (System.Text.Json) around it. Statements are not prepared (Npgsql's defaults). A get renews a
/// sliding entry with a second statement; the benchmark's entries do not slide.
/// </summary>
internal sealed class PgDistributedCache : IDistributedCache
{
    public const string Table = "bench_distributed_cache";

    private readonly NpgsqlDataSource _source;

    public PgDistributedCache(NpgsqlDataSource source) => _source = source;

    public async Task CreateTableAsync()
    {
        await using var command = _source.CreateCommand($"""
            CREATE TABLE IF NOT EXISTS {Table} (
              id text PRIMARY KEY,
              value bytea NOT NULL,
              expires_at timestamptz,
              sliding_seconds double precision,
              absolute_expiration timestamptz
            )
            """);
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>Removes the entries whose id starts with <paramref name="prefix"/>.</summary>
    public async Task RemovePrefixAsync(string prefix)
    {
        await using var command = _source.CreateCommand($"DELETE FROM {Table} WHERE starts_with(id, @prefix)");
        command.Parameters.AddWithValue("prefix", prefix);
        await command.ExecuteNonQueryAsync();
    }

    public async Task<byte[]?> GetAsync(string key, CancellationToken token = default)
    {
        await using var connection = await _source.OpenConnectionAsync(token);
        byte[] value;
        await using (var command = new NpgsqlCommand($"SELECT value, sliding_seconds FROM {Table} WHERE id = @id AND (expires_at IS NULL OR expires_at > @now)", connection))
        {
            command.Parameters.AddWithValue("id", key);
            command.Parameters.AddWithValue("now", DateTime.UtcNow);
            await using var reader = await command.ExecuteReaderAsync(token);
            if (!await reader.ReadAsync(token))
            {
                return null;
            }

            value = reader.GetFieldValue<byte[]>(0);
            if (reader.IsDBNull(1))
            {
                return value;
            }
        }

        await RenewAsync(connection, key, token);
        return value;
    }

    public async Task SetAsync(string key, byte[] value, DistributedCacheEntryOptions options, CancellationToken token = default)
    {
        var now = DateTime.UtcNow;
        DateTime? absolute = options.AbsoluteExpiration?.UtcDateTime ?? (now + options.AbsoluteExpirationRelativeToNow);
        var sliding = options.SlidingExpiration;
        DateTime? expires = sliding is { } s ? (absolute is { } a && a < now + s ? a : now + s) : absolute;
        await using var connection = await _source.OpenConnectionAsync(token);
        await using var command = new NpgsqlCommand($"""
            INSERT INTO {Table}(id, value, expires_at, sliding_seconds, absolute_expiration) VALUES (@id, @value, @expires, @sliding, @absolute)
            ON CONFLICT (id) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at,
              sliding_seconds = excluded.sliding_seconds, absolute_expiration = excluded.absolute_expiration
            """, connection);
        command.Parameters.AddWithValue("id", key);
        command.Parameters.AddWithValue("value", value);
        command.Parameters.AddWithValue("expires", expires is { } e ? e : DBNull.Value);
        command.Parameters.AddWithValue("sliding", sliding is { } w ? w.TotalSeconds : DBNull.Value);
        command.Parameters.AddWithValue("absolute", absolute is { } x ? x : DBNull.Value);
        await command.ExecuteNonQueryAsync(token);
    }

    public async Task RefreshAsync(string key, CancellationToken token = default)
    {
        await using var connection = await _source.OpenConnectionAsync(token);
        await RenewAsync(connection, key, token);
    }

    public async Task RemoveAsync(string key, CancellationToken token = default)
    {
        await using var command = _source.CreateCommand($"DELETE FROM {Table} WHERE id = @id");
        command.Parameters.AddWithValue("id", key);
        await command.ExecuteNonQueryAsync(token);
    }

    public byte[]? Get(string key) => GetAsync(key).GetAwaiter().GetResult();

    public void Set(string key, byte[] value, DistributedCacheEntryOptions options) => SetAsync(key, value, options).GetAwaiter().GetResult();

    public void Refresh(string key) => RefreshAsync(key).GetAwaiter().GetResult();

    public void Remove(string key) => RemoveAsync(key).GetAwaiter().GetResult();

    /// <summary>A sliding entry's expiry moved to now plus its window, never past its absolute expiry.</summary>
    private static async Task RenewAsync(NpgsqlConnection connection, string key, CancellationToken token)
    {
        await using var command = new NpgsqlCommand($"""
            UPDATE {Table} SET expires_at = least(@now + make_interval(secs => sliding_seconds), coalesce(absolute_expiration, 'infinity'))
            WHERE id = @id AND sliding_seconds IS NOT NULL AND expires_at > @now
            """, connection);
        command.Parameters.AddWithValue("id", key);
        command.Parameters.AddWithValue("now", DateTime.UtcNow);
        await command.ExecuteNonQueryAsync(token);
    }
}
