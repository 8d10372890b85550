using System.Globalization;
using System.Threading.RateLimiting;
using NativeAotPersistence;

namespace AotConsole;

/// <summary>The parameters of <c>aotconsole run</c>, validated.</summary>
internal sealed record RunSettings(StoreLocation Store, int Records, int BatchSize, double FailRate, long Seed)
{
    public const int DefaultRecords = 200_000;
    public const int DefaultBatch = 1_000;
    public const long DefaultSeed = 42;
}

/// <summary>How a batch was delivered: the upstream's receipt, whether it was a stored one, and the failed attempts.</summary>
internal sealed record Delivery(BatchReceipt Receipt, bool Avoided, int Failures);

/// <summary>
/// The main job, a resumable telemetry upload: readings are calibrated through the cache, aggregated per batch, and
/// each batch is delivered once to a flaky upstream through the circuit breaker and <c>ExecuteOnceAsync</c>, with a
/// checkpoint after every batch, all under one job lock.
/// </summary>
internal sealed class UploadJob : IDisposable
{
    public const string TaskId = "upload";
    public const string CircuitKey = "upstream";
    public const string QuotaKey = "upstream-quota";
    public static readonly TimeSpan CalibrationTtl = TimeSpan.FromSeconds(10);
    public static readonly TimeSpan ReceiptTtl = TimeSpan.FromDays(1);
    public static readonly TimeSpan CalibrationLookupLatency = TimeSpan.FromMilliseconds(1);

    private readonly IPersistenceAdapter _store;
    private readonly IUpstream _upstream;
    private readonly RunSettings _settings;
    private readonly CircuitBreaker _breaker;
    private readonly RateLimiter _quota;
    private ProgressDisplay? _progress;
    private int _openings;
    private UploadState? _resumedFrom;
    private UploadState? _saved;
    private UploadState? _alreadyDone;

    private UploadJob(IPersistenceAdapter store, IUpstream upstream, RunSettings settings)
    {
        _store = store;
        _upstream = upstream;
        _settings = settings;
        _breaker = new CircuitBreaker(store.CircuitBreakers, CircuitKey, new CircuitBreakerOptions
        {
            FailureThreshold = 3,
            ResetTimeout = TimeSpan.FromMilliseconds(200),
            ShouldHandle = static e => e is UpstreamUnavailableException,
            OnStateChanged = OnBreakerChanged,
        });

        // The upstream's quota (400 calls a second, bursts of 40) is a token bucket in the store: every tool on the file
        // (or the server) spends one budget; this process queues its calls until the budget has a permit.
        _quota = PersistentRateLimiter.CreateTokenBucket(store, QuotaKey, new TokenBucketRateLimiterOptions
        {
            TokenLimit = 40,
            TokensPerPeriod = 20,
            ReplenishmentPeriod = TimeSpan.FromMilliseconds(50),
            QueueLimit = 1,
        });
    }

    /// <summary>Runs (or resumes) the job; returns the process exit code.</summary>
    public static async Task<int> RunAsync(RunSettings settings, CancellationToken cancellationToken)
    {
        await using var store = (await Store.OpenAsync(settings.Store, LockScope.Database, Cli.KeyPrefix, existing: false, cancellationToken))!;
        var acquired = await JobLock.AcquireAsync(store.Adapter.Locks, cancellationToken);
        if (acquired.Handle is not { } handle)
        {
            var holder = acquired.Holder;
            Cli.Error(holder is null
                ? $"another run holds the job lock on {store.DataSource}"
                : string.Create(
                    CultureInfo.InvariantCulture,
                    $"another run holds the job lock on {store.DataSource}: owner {holder.Owner}, fencing token {holder.FencingToken}, expires in {ProgressDisplay.Human(holder.ExpiresAt - DateTimeOffset.UtcNow)}"));
            return ExitCodes.LockHeld;
        }

        await using (handle)
        {
            Console.Out.WriteLine($"store: {store.DataSource} (the upstream's data: {store.UpstreamDescription})");
            if (acquired.TookOverFrom is { } dead)
            {
                Console.Out.WriteLine($"took over the job lock from {dead}: that process no longer exists");
            }

            using var upstream = await store.OpenUpstreamAsync(cancellationToken);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, handle.HandleLost);
            using var job = new UploadJob(store.Adapter, upstream, settings);
            try
            {
                var final = await CheckpointedTask.RunAsync<UploadState, UploadState>(
                    store.Adapter.Checkpoints, TaskId, job.ExecuteAsync, new CheckpointedTaskOptions { KeepCount = 3 }, linked.Token);
                await job.PrintSummaryAsync(final, cancellationToken);
                PrintNextSteps(settings, job._alreadyDone is not null);
                return ExitCodes.Ok;
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                job._progress?.End();
                Console.Out.WriteLine($"interrupted{job.Where()}: the checkpoint is kept and the job lock released; run again to resume");
                return ExitCodes.Interrupted;
            }
            catch (OperationCanceledException) when (handle.HandleLost.IsCancellationRequested)
            {
                job._progress?.End();
                var now = await store.Adapter.Locks.GetInfoAsync(JobLock.Key, CancellationToken.None);
                Cli.Error($"lost the job lock{(now is null ? "" : " to " + now.Owner)}; stopped{job.Where()}, the checkpoint is kept");
                return ExitCodes.LockLost;
            }
        }
    }

    private string Where() =>
        _saved is { } s ? string.Create(CultureInfo.InvariantCulture, $" at batch {s.NextBatch:N0} of {s.BatchCount():N0}") : "";

    private async ValueTask<UploadState> ExecuteAsync(CheckpointContext<UploadState> context, CancellationToken cancellationToken)
    {
        var state = context.Data;
        if (state is not null && state.IsComplete())
        {
            // Killed after the last checkpoint but before the runner deleted it: the job is done, report it.
            _resumedFrom = state;
            Console.Out.WriteLine($"job {state.JobId} was already complete");
            return state;
        }

        if (state is null && await _store.Idempotency.GetAsync(CompletedKey(_settings), SamplePayloads.Default.UploadState, cancellationToken) is { } done)
        {
            // The same job (same readings, same batches) was completed before: nothing to deliver, and nothing is.
            _alreadyDone = done.Value;
            return done.Value;
        }

        if (state is null)
        {
            // A new job. Its id and parameters are saved before anything is delivered, so a run killed at any point
            // resumes this job and never starts one whose batch ids the upstream has partly seen under another id.
            var jobId = string.Create(
                CultureInfo.InvariantCulture, $"{DateTimeOffset.UtcNow:yyyyMMdd'T'HHmmss'Z'}-{Environment.ProcessId}");
            state = new UploadState(jobId, _settings.Seed, _settings.Records, _settings.BatchSize, 0, 0, 0, long.MaxValue, long.MinValue, 0, 0, 0, 0, 0, 0, 0, 0, 0);
            await context.SaveAsync(state, 0, cancellationToken);
            _saved = state;
            Console.Out.WriteLine(string.Create(
                CultureInfo.InvariantCulture,
                $"job {state.JobId}: {state.Records:N0} readings (seed {state.Seed}) in {state.BatchCount():N0} batches of {state.BatchSize:N0}, upstream failure rate {_settings.FailRate * 100:0.#}%, its quota 400 calls/s (shared through the store)"));
        }
        else
        {
            _resumedFrom = _saved = state;
            Console.Out.WriteLine(string.Create(
                CultureInfo.InvariantCulture,
                $"resuming job {state.JobId} at batch {state.NextBatch:N0}/{state.BatchCount():N0} ({state.RecordsDone:N0} of {state.Records:N0} readings done, checkpoint #{context.Sequence})"));
            if (state.Seed != _settings.Seed || state.Records != _settings.Records || state.BatchSize != _settings.BatchSize)
            {
                Console.Out.WriteLine(string.Create(
                    CultureInfo.InvariantCulture,
                    $"note: using the job's own --records {state.Records} --batch {state.BatchSize} --seed {state.Seed}, not this command's"));
            }
        }

        state = state with { Sessions = state.Sessions + 1 };
        var sessionStart = TimeProvider.System.GetTimestamp();
        var elapsedBefore = state.ElapsedMs;
        _progress = new ProgressDisplay(state.RecordsDone) { Breaker = await _breaker.GetStateAsync(cancellationToken) };
        _progress.Update(state, context.EstimatedTimeRemaining, force: true);

        var batches = state.BatchCount();
        for (var batch = state.NextBatch; batch < batches; batch++)
        {
            var aggregate = await AggregateAsync(state, batch, cancellationToken);
            var delivery = await DeliverAsync(state, batch, aggregate, cancellationToken);
            state = state with
            {
                NextBatch = batch + 1,
                RecordsDone = state.RecordsDone + aggregate.Records,
                SumMilli = state.SumMilli + aggregate.SumMilli,
                MinMilli = Math.Min(state.MinMilli, aggregate.MinMilli),
                MaxMilli = Math.Max(state.MaxMilli, aggregate.MaxMilli),
                BatchesDelivered = state.BatchesDelivered + 1,
                DuplicatesAvoided = state.DuplicatesAvoided + (delivery.Avoided ? 1 : 0),
                UpstreamRepeats = state.UpstreamRepeats + (delivery.Receipt.Repeat ? 1 : 0),
                UpstreamFailures = state.UpstreamFailures + delivery.Failures,
                BreakerOpenings = state.BreakerOpenings + Interlocked.Exchange(ref _openings, 0),
                CacheLookups = state.CacheLookups + aggregate.Lookups,
                CacheMisses = state.CacheMisses + aggregate.Misses,
                ElapsedMs = elapsedBefore + (long)TimeProvider.System.GetElapsedTime(sessionStart).TotalMilliseconds,
            };
            await context.SaveAsync(state, (int)((batch + 1) * 100L / batches), cancellationToken);
            _saved = state;
            _progress.Update(state, context.EstimatedTimeRemaining, force: batch + 1 == batches);
        }

        _progress.End();

        // Recorded before the runner deletes the checkpoint: a run killed in between finds the checkpoint complete.
        // (Through ExecuteOnceAsync, which the deliveries use already: stored unless a record is there.)
        var final = state;
        await _store.Idempotency.ExecuteOnceAsync(CompletedKey(_settings), ReceiptTtl, _ => ValueTask.FromResult(final), SamplePayloads.Default.UploadState, cancellationToken);
        return state;
    }

    /// <summary>The idempotency key of a completed job: the same readings in the same batches are the same job.</summary>
    private static string CompletedKey(RunSettings settings) =>
        string.Create(CultureInfo.InvariantCulture, $"job-done:{settings.Seed}:{settings.Records}:{settings.BatchSize}");

    private static void PrintNextSteps(RunSettings settings, bool alreadyDone)
    {
        var store = settings.Store.Postgres is not null ? " --postgres \"…\""
            : settings.Store.File == StoreLocation.DefaultFile ? "" : " --db " + settings.Store.File;
        var job = (settings.Records == RunSettings.DefaultRecords ? "" : " --records " + settings.Records.ToString(CultureInfo.InvariantCulture))
            + (settings.BatchSize == RunSettings.DefaultBatch ? "" : " --batch " + settings.BatchSize.ToString(CultureInfo.InvariantCulture));
        var seed = settings.Seed == RunSettings.DefaultSeed ? "" : " --seed " + settings.Seed.ToString(CultureInfo.InvariantCulture);
        var inspect = "aotconsole inspect" + store;
        var again = "aotconsole" + store + job + seed;
        var another = "aotconsole" + store + job + " --seed " + (settings.Seed + 1).ToString(CultureInfo.InvariantCulture);
        var width = Math.Max(inspect.Length, Math.Max(again.Length, another.Length)) + 3;
        Console.Out.WriteLine("next:");
        Console.Out.WriteLine("  " + inspect.PadRight(width) + "what the store holds now: checkpoints, receipts, the breaker, the cache");
        Console.Out.WriteLine("  " + again.PadRight(width) + (alreadyDone
            ? "this job again: still nothing to send (its record lasts a day)"
            : "this job again: the store knows it is done, and nothing is sent twice"));
        Console.Out.WriteLine("  " + another.PadRight(width) + "a new job: stop it midway (Ctrl+C, or kill -9) and run it again to see it resume");
    }

    /// <summary>Calibrates one batch's readings, each through the cache, and aggregates them.</summary>
    private async ValueTask<BatchAggregate> AggregateAsync(UploadState state, int batch, CancellationToken cancellationToken)
    {
        var first = (long)batch * state.BatchSize;
        var count = (int)Math.Min(state.BatchSize, state.Records - first);
        long sum = 0, min = long.MaxValue, max = long.MinValue;
        var misses = 0;
        for (var i = 0; i < count; i++)
        {
            var (device, raw) = Telemetry.Reading(state.Seed, first + i);
            var calibration = await _store.Cache.GetOrSetAsync(
                "calibration:" + Telemetry.DeviceId(device),
                async ct =>
                {
                    // The calibration service is slow; the cache is why this job is fast.
                    misses++;
                    await Task.Delay(CalibrationLookupLatency, ct);
                    return Telemetry.CalibrationOf(device);
                },
                CalibrationTtl,
                cancellationToken);
            var value = Telemetry.Calibrate(raw, calibration);
            sum += value;
            min = Math.Min(min, value);
            max = Math.Max(max, value);
        }

        return new BatchAggregate(count, sum, min, max, count, misses);
    }

    /// <summary>
    /// Delivers a batch once: <c>ExecuteOnceAsync</c> returns the stored receipt of a batch delivered before (a run
    /// killed after delivering but before its checkpoint), else calls the upstream through the breaker. Failures are
    /// retried; an open breaker is waited out until its retry time.
    /// </summary>
    private async ValueTask<Delivery> DeliverAsync(
        UploadState state, int batch, BatchAggregate aggregate, CancellationToken cancellationToken)
    {
        var batchId = string.Create(CultureInfo.InvariantCulture, $"{state.JobId}:{batch:D6}");
        var failures = 0;
        for (var attempt = 0; ; attempt++)
        {
            var called = false;
            try
            {
                // Each attempt spends a permit of the upstream's quota, waiting (in this process's queue) until the
                // store's budget has one.
                using var permit = await _quota.AcquireAsync(1, cancellationToken);
                if (!permit.IsAcquired)
                {
                    throw new UpstreamUnavailableException("429 Too Many Requests: over the upstream's quota");
                }

                var receipt = await _store.Idempotency.ExecuteOnceAsync(
                    "batch:" + batchId,
                    ReceiptTtl,
                    ct => _breaker.ExecuteAsync(
                        c =>
                        {
                            called = true;
                            return CallUpstream(state, batch, batchId, aggregate, attempt, c);
                        },
                        ct),
                    cancellationToken);
                return new Delivery(receipt, !called, failures);
            }
            catch (UpstreamUnavailableException)
            {
                failures++;
                await Task.Delay(TimeSpan.FromMilliseconds(5), cancellationToken);
            }
            catch (CircuitBreakerOpenException e)
            {
                await Task.Delay(e.RetryAfter > TimeSpan.FromMilliseconds(5) ? e.RetryAfter : TimeSpan.FromMilliseconds(5), cancellationToken);
            }
        }
    }

    private ValueTask<BatchReceipt> CallUpstream(UploadState state, int batch, string batchId, BatchAggregate aggregate, int attempt, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (Telemetry.Roll(state.Seed, batch, attempt) < _settings.FailRate)
        {
            throw new UpstreamUnavailableException("503 Service Unavailable");
        }

        return _upstream.DeliverAsync(batchId, state.JobId, batch, aggregate, DateTimeOffset.UtcNow, cancellationToken);
    }

    /// <summary>Disposes the quota's limiter (its state stays in the store).</summary>
    public void Dispose() => _quota.Dispose();

    private void OnBreakerChanged(CircuitBreakerTransition transition)
    {
        if (transition.To == CircuitState.Open)
        {
            Interlocked.Increment(ref _openings);
        }

        if (_progress is { } progress)
        {
            progress.Breaker = transition.To;
        }
    }

    private async ValueTask PrintSummaryAsync(UploadState final, CancellationToken cancellationToken)
    {
        var upstream = await _upstream.TotalsAsync(final.JobId, cancellationToken);
        if (_alreadyDone is not null)
        {
            Console.Out.WriteLine(string.Create(
                CultureInfo.InvariantCulture,
                $"nothing to do: job {final.JobId} already delivered these {final.RecordsDone:N0} readings (seed {final.Seed}, {final.BatchCount():N0} batches of {final.BatchSize:N0}); nothing was sent this time"));
            Console.Out.WriteLine(string.Create(
                CultureInfo.InvariantCulture,
                $"  upstream holds                {upstream.Batches:N0} batches, {upstream.Records:N0} records (repeats it ignored: {upstream.IgnoredRepeats:N0})"));
            return;
        }

        var hitRatio = final.CacheLookups == 0 ? 0 : (final.CacheLookups - final.CacheMisses) / (double)final.CacheLookups;
        var mean = final.RecordsDone == 0 ? 0 : final.SumMilli / 1000.0 / final.RecordsDone;
        var lines = new[]
        {
            $"done: job {final.JobId}",
            $"  records                       {final.RecordsDone:N0}",
            $"  batches delivered             {final.BatchesDelivered:N0} (upstream holds {upstream.Batches:N0}, {upstream.Records:N0} records)",
            $"  duplicate deliveries avoided  {final.DuplicatesAvoided:N0} (ignored by the upstream: {upstream.IgnoredRepeats:N0})",
            $"  upstream failures             {final.UpstreamFailures:N0}, breaker openings {final.BreakerOpenings:N0}",
            $"  cache hit ratio               {hitRatio * 100:0.0}% ({final.CacheLookups - final.CacheMisses:N0} of {final.CacheLookups:N0} calibration lookups)",
            $"  aggregate                     sum {final.SumMilli:N0} m°C, mean {mean:0.000} °C, min {final.MinMilli / 1000.0:0.000}, max {final.MaxMilli / 1000.0:0.000}",
            $"  elapsed                       {final.ElapsedMs / 1000.0:0.0} s{(final.Sessions > 1 ? $" over {final.Sessions} runs" : "")}{(_resumedFrom is null ? "" : $", resumed at batch {_resumedFrom.NextBatch:N0}")}",
        };
        foreach (var line in lines)
        {
            Console.Out.WriteLine(line);
        }
    }
}
