using System.Diagnostics;
using Npgsql;

namespace NativeAotPersistence.PostgreSql;

/// <summary>How an operation runs, which decides when a failure may be retried.</summary>
internal enum PgWork
{
    /// <summary>A read: retried on any transient failure.</summary>
    Read,

    /// <summary>A write whose repetition changes nothing (an upsert of the same row): one autocommit statement, retried.</summary>
    Idempotent,

    /// <summary>
    /// A write whose result or effect must not repeat (a counter, an insert-if-absent): run between BEGIN and COMMIT, so
    /// a failure before COMMIT is retried (nothing was applied) and a failure during COMMIT is reported, never retried.
    /// </summary>
    Transaction,
}

/// <summary>
/// One adapter's way to the server: a connection from the data source's pool per operation, transient failures
/// (a dropped connection, failover, a serialization failure or deadlock) retried within
/// <see cref="PersistenceAdapterOptions.BusyTimeout"/>, and every other failure turned into a
/// <see cref="PersistenceException"/>. No operation completes before its statement committed.
/// </summary>
internal sealed class PgDatabase
{
    private static readonly TimeSpan FirstBackoff = TimeSpan.FromMilliseconds(20);
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan MinimumAttempt = TimeSpan.FromMilliseconds(50);

    private readonly NpgsqlDataSource _source;
    private readonly TimeSpan _retryBudget;

    public PgDatabase(NpgsqlDataSource source, string dataSource, TimeSpan busyTimeout)
    {
        _source = source;
        DataSource = dataSource;
        _retryBudget = busyTimeout == Timeout.InfiniteTimeSpan ? TimeSpan.MaxValue : busyTimeout;
    }

    /// <summary>Gets the server and database named in errors (<c>host:port/database</c>, never a password).</summary>
    public string DataSource { get; }

    public NpgsqlDataSource Source => _source;

    /// <summary>Runs <paramref name="body"/> on a pooled connection, retrying what is safe to retry.</summary>
    public ValueTask<TResult> RunAsync<TState, TResult>(
        string operation,
        PgWork work,
        TState state,
        Func<NpgsqlConnection, TState, CancellationToken, ValueTask<TResult>> body,
        CancellationToken cancellationToken) =>
        BackendTelemetry.TimesOperations
            ? BackendTelemetry.Timed("postgresql", operation, Stopwatch.GetTimestamp(), Run(operation, work, state, body, cancellationToken))
            : Run(operation, work, state, body, cancellationToken);

    private async ValueTask<TResult> Run<TState, TResult>(
        string operation,
        PgWork work,
        TState state,
        Func<NpgsqlConnection, TState, CancellationToken, ValueTask<TResult>> body,
        CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var backoff = FirstBackoff;
        for (var attempt = 1; ; attempt++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            Exception failure;
            var committing = false;
            try
            {
                var connection = await OpenAsync(started, cancellationToken).ConfigureAwait(false);
                await using (connection.ConfigureAwait(false))
                {
                    if (work != PgWork.Transaction)
                    {
                        var read = await body(connection, state, cancellationToken).ConfigureAwait(false);
                        if (attempt > 1)
                        {
                            ReportRetries(operation, started, gaveUp: false);
                        }

                        return read;
                    }

                    // Npgsql sends BEGIN together with the first statement: no extra round trip.
                    var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
                    await using (transaction.ConfigureAwait(false))
                    {
                        var result = await body(connection, state, cancellationToken).ConfigureAwait(false);
                        committing = true;

                        // COMMIT is not cancellable: once sent, whether it applied is known only from its reply.
                        await transaction.CommitAsync(CancellationToken.None).ConfigureAwait(false);
                        if (attempt > 1)
                        {
                            ReportRetries(operation, started, gaveUp: false);
                        }

                        return result;
                    }
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                throw;
            }
            catch (Exception e) when (e is NpgsqlException or TimeoutException or IOException or InvalidOperationException { InnerException: NpgsqlException })
            {
                failure = e;
            }

            if (committing || !PgErrors.IsRetryable(failure) || Stopwatch.GetElapsedTime(started) + backoff > _retryBudget)
            {
                if (attempt > 1)
                {
                    ReportRetries(operation, started, gaveUp: true);
                }

                throw PgErrors.Map(failure, operation, DataSource, committing, attempt);
            }

            BackendTelemetry.BusyWait("postgresql", operation);

            // Jittered exponential backoff: a fleet reconnecting after a failover must not stampede.
            await Task.Delay(Backoff.Jitter(backoff * 2), cancellationToken).ConfigureAwait(false);
            backoff = Backoff.Next(backoff, MaxBackoff);
        }
    }

    /// <summary>
    /// Takes a connection from the pool, or makes one within what is left of the retry budget: a server that accepts
    /// TCP connections but never answers (a hung host, a half-open route) must fail the caller within
    /// <see cref="PersistenceAdapterOptions.BusyTimeout"/>, not after Npgsql's own connect timeout (15 s by default),
    /// which is not cut short by a cancellation token. Statements on an open connection keep Npgsql's command timeout.
    /// </summary>
    private async ValueTask<NpgsqlConnection> OpenAsync(long started, CancellationToken cancellationToken)
    {
        var opening = _source.OpenConnectionAsync(cancellationToken);
        if (opening.IsCompleted || _retryBudget == TimeSpan.MaxValue)
        {
            return await opening.ConfigureAwait(false);
        }

        var left = _retryBudget - Stopwatch.GetElapsedTime(started);
        var pending = opening.AsTask();
        try
        {
            return await pending.WaitAsync(left > MinimumAttempt ? left : MinimumAttempt, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is TimeoutException or OperationCanceledException)
        {
            // The abandoned attempt goes on until Npgsql gives up; a connection it still makes goes back to the pool.
            _ = pending.ContinueWith(
                static t =>
                {
                    if (t.IsCompletedSuccessfully)
                    {
                        t.Result.Dispose();
                    }
                    else
                    {
                        _ = t.Exception;
                    }
                },
                CancellationToken.None,
                TaskContinuationOptions.ExecuteSynchronously,
                TaskScheduler.Default);
            if (e is OperationCanceledException)
            {
                throw;
            }

            throw new TimeoutException(
                $"No connection within the busy timeout ({_retryBudget.TotalMilliseconds:0} ms): the server did not answer, or every connection of the pool stayed in use.", e);
        }
    }

    private void ReportRetries(string operation, long started, bool gaveUp)
    {
        if (BackendEvents.IsEnabled)
        {
            BackendEvents.BusyWait(new PersistenceBusyWait("postgresql", operation, DataSource, Stopwatch.GetElapsedTime(started), gaveUp));
        }
    }
}
