using Microsoft.Extensions.Options;
using NativeAotPersistence;

namespace WorkerService;

/// <summary>
/// Converts each batch of the invoice feed to US dollars, once: the batch runs inside <c>ExecuteOnceAsync</c>, whose
/// stored result marks it done, so a restarted worker (or a second one on the same file) skips what was processed.
/// A batch the rates API fails is not stored and is retried after the interval; while the breaker is open, after the
/// time it names.
/// </summary>
internal sealed class InvoiceWorker(
    IIdempotencyProvider idempotency,
    RatesClient rates,
    RatesApi api,
    IOptions<WorkerOptions> options,
    StoreMetrics metrics,
    IHostApplicationLifetime lifetime,
    ILogger<InvoiceWorker> logger) : BackgroundService
{
    // Long enough to outlive any restart; the key is the batch, so the feed must never renumber its batches.
    private static readonly TimeSpan s_remember = TimeSpan.FromDays(7);

    private int _processed;
    private int _skipped;
    private int _failures;
    private int _rejected;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        logger.Started(settings.Iterations == 0 ? "until stopped" : $"{settings.Iterations} batches", (long)settings.Interval.TotalMilliseconds);
        var batch = 1;
        try
        {
            while (settings.Iterations == 0 || batch <= settings.Iterations)
            {
                if (await TryBatchAsync(batch, settings.Interval, stoppingToken).ConfigureAwait(false))
                {
                    batch++;
                }
            }

            Summarize("Finished", batch - 1);
            lifetime.StopApplication();
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Ctrl+C or SIGTERM: the batch in flight was not stored, so the next run does it again.
            Summarize("Stopped", batch - 1);
        }
#pragma warning disable CA1031 // The host's last line of defence: log it, exit non-zero.
        catch (Exception e)
#pragma warning restore CA1031
        {
            logger.Failed(e);
            Environment.ExitCode = 1;
            lifetime.StopApplication();
        }
    }

    /// <summary>Handles one batch: <see langword="true"/> when it is done (now or before), false to retry it.</summary>
    private async Task<bool> TryBatchAsync(int batch, TimeSpan interval, CancellationToken cancellationToken)
    {
        var ran = false;
        try
        {
            var summary = await idempotency.ExecuteOnceAsync($"invoices:batch:{batch:D6}", s_remember, async ct =>
            {
                ran = true;
                return await ConvertAsync(batch, ct).ConfigureAwait(false);
            }, cancellationToken).ConfigureAwait(false);

            if (!ran)
            {
                _skipped++;
                logger.BatchSkipped(batch, summary.ProcessedAt);
                return true;
            }

            _processed++;
            logger.BatchProcessed(batch, summary.Invoices, summary.TotalUsdCents / 100m);
            await Task.Delay(interval, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (RatesUnavailableException e)
        {
            _failures++;
            logger.UpstreamFailed(batch, e.Message);
            await Task.Delay(interval, cancellationToken).ConfigureAwait(false);
            return false;
        }
        catch (PersistentBrokenCircuitException e)
        {
            _rejected++;
            var wait = e.RetryAfter is { } retryAfter && retryAfter > interval ? retryAfter : interval;
            logger.BreakerRejected(batch, (long)wait.TotalMilliseconds);
            await Task.Delay(wait, cancellationToken).ConfigureAwait(false);
            return false;
        }
    }

    private async ValueTask<BatchSummary> ConvertAsync(int batch, CancellationToken cancellationToken)
    {
        var invoices = InvoiceFeed.Batch(batch);
        long totalCents = 0;
        foreach (var invoice in invoices)
        {
            var rate = await rates.GetUsdRateAsync(invoice.Currency, cancellationToken).ConfigureAwait(false);
            totalCents += (long)Math.Round(invoice.AmountMinor * rate, MidpointRounding.AwayFromZero);
        }

        return new BatchSummary(batch, invoices.Length, totalCents, DateTimeOffset.UtcNow);
    }

    private void Summarize(string outcome, int batches)
    {
        logger.Summary(outcome, batches, _processed, _skipped, rates.CacheHits, rates.CacheMisses, api.Calls, _failures, _rejected);
        logger.StoreMetrics(metrics.CacheHits, metrics.CacheMisses, metrics.CircuitTransitions, metrics.BusyWaits);
    }
}
