using System.Threading.RateLimiting;
using Microsoft.Extensions.Time.Testing;

namespace NativeAotPersistence.Tests.Docs;

/// <summary>The rate limiters' examples (docs/rate-limiting.md), compiled and run.</summary>
public sealed partial class DocExamplesTests
{
    [Fact]
    public async Task RateLimits_OnSqlite()
    {
        using var dir = new TempDirectory();
        var time = new FakeTimeProvider();
        await using var p = await SqliteAdapter.OpenAsync(dir.File("app.db"), new PersistenceAdapterOptions { TimeProvider = time });
        await RateLimitsAsync(p, time);
    }

    /// <summary>docs/rate-limiting.md's examples, on the adapter's fake clock.</summary>
    internal static async Task RateLimitsAsync(IPersistenceAdapter p, FakeTimeProvider time)
    {
        var ct = Ct;
        var partner = new PartnerApi();
        var order = new OrderState("order-42", 19.90m, ["book"]);

        {
            // snippet: RateLimiterFirst
            // 100 calls a minute to a partner's API, for every process on the store (and, on PostgreSQL, every machine).
            using RateLimiter partnerLimit = PersistentRateLimiter.CreateFixedWindow(p, "partner-api", new FixedWindowRateLimiterOptions
            {
                PermitLimit = 100,
                Window = TimeSpan.FromMinutes(1),
            });

            using RateLimitLease lease = await partnerLimit.AcquireAsync(permitCount: 1, ct);
            if (lease.IsAcquired)
            {
                await partner.SendAsync(order, ct);
            }
            else if (lease.TryGetMetadata(MetadataName.RetryAfter, out TimeSpan retryAfter))
            {
                Console.WriteLine($"partner-api: this minute's 100 calls are spent; try again in {retryAfter}");
            }
            // end snippet

            Assert.True(lease.IsAcquired);
            Assert.Equal(1, partner.Sent);

            // Another process's limiter on the same key (here another limiter on the same store) spends the same budget.
            using var elsewhere = PersistentRateLimiter.CreateFixedWindow(p, "partner-api", new FixedWindowRateLimiterOptions { PermitLimit = 100, Window = TimeSpan.FromMinutes(1) });
            using (var rest = elsewhere.AttemptAcquire(99))
            {
                Assert.True(rest.IsAcquired);
            }

            using (var refused = await partnerLimit.AcquireAsync(1, ct))
            {
                Assert.False(refused.IsAcquired);
                Assert.True(refused.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter));
                Assert.Equal(TimeSpan.FromMinutes(1), retryAfter);   // the framework's figure: one whole window
            }

            time.Advance(TimeSpan.FromMinutes(1));
            using var next = partnerLimit.AttemptAcquire(100);
            Assert.True(next.IsAcquired);
        }

        {
            // snippet: RateLimiterAlgorithms
            // A token bucket: bursts of up to 20 texts, then 5 more every second.
            using RateLimiter texts = PersistentRateLimiter.CreateTokenBucket(p, "sms", new TokenBucketRateLimiterOptions
            {
                TokenLimit = 20, TokensPerPeriod = 5, ReplenishmentPeriod = TimeSpan.FromSeconds(1),
            });
            // A sliding window: at most 1,000 exports in any hour, counted in 6 segments of 10 minutes.
            using RateLimiter exports = PersistentRateLimiter.CreateSlidingWindow(p, "exports", new SlidingWindowRateLimiterOptions
            {
                PermitLimit = 1000, Window = TimeSpan.FromHours(1), SegmentsPerWindow = 6,
            });

            using RateLimitLease batch = texts.AttemptAcquire(permitCount: 3);          // all 3 tokens, or none
            using RateLimitLease export = await exports.AcquireAsync(permitCount: 1, ct);
            // end snippet

            Assert.True(batch.IsAcquired);
            Assert.True(export.IsAcquired);

            // The bucket: 17 left; then a refusal's RetryAfter is the framework's, the whole periods that bring the
            // missing tokens rounded down (at least one), so a retry then may be refused again.
            Assert.True(texts.AttemptAcquire(17).IsAcquired);
            using (var refused = texts.AttemptAcquire(12))
            {
                Assert.False(refused.IsAcquired);
                Assert.True(refused.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter));
                Assert.Equal(TimeSpan.FromSeconds(2), retryAfter);
            }

            time.Advance(TimeSpan.FromSeconds(2));
            Assert.False(texts.AttemptAcquire(12).IsAcquired);   // 10 tokens back
            time.Advance(TimeSpan.FromSeconds(1));
            Assert.True(texts.AttemptAcquire(12).IsAcquired);    // 15

            // The window: a refusal has no RetryAfter (as the framework's); a segment's permits are back a window later.
            Assert.True(exports.AttemptAcquire(999).IsAcquired);
            using (var refused = exports.AttemptAcquire())
            {
                Assert.False(refused.IsAcquired);
                Assert.False(refused.TryGetMetadata(MetadataName.RetryAfter, out _));
            }

            time.Advance(TimeSpan.FromMinutes(50));
            Assert.False(exports.AttemptAcquire().IsAcquired);
            time.Advance(TimeSpan.FromMinutes(10));
            Assert.True(exports.AttemptAcquire(1000).IsAcquired);
        }

        {
            // snippet: RateLimiterPartitioned
            // A budget per customer (a token bucket each: bursts of 20, 10 a second), every partition in the store.
            using PartitionedRateLimiter<string> perCustomer = PartitionedRateLimiter.Create<string, string>(customer =>
                PersistentRateLimitPartition.GetTokenBucketLimiter(p, "api:" + customer, _ => new TokenBucketRateLimiterOptions
                {
                    TokenLimit = 20, TokensPerPeriod = 10, ReplenishmentPeriod = TimeSpan.FromSeconds(1),
                }));

            using RateLimitLease request = await perCustomer.AcquireAsync("customer-7", permitCount: 1, ct);
            // end snippet

            Assert.True(request.IsAcquired);

            // Another process's partitioned limiter finds customer-7's budget where this one left it.
            using var elsewhere = PartitionedRateLimiter.Create<string, string>(customer =>
                PersistentRateLimitPartition.GetTokenBucketLimiter(p, "api:" + customer, _ => new TokenBucketRateLimiterOptions
                {
                    TokenLimit = 20, TokensPerPeriod = 10, ReplenishmentPeriod = TimeSpan.FromSeconds(1),
                }));
            Assert.True(elsewhere.AttemptAcquire("customer-7", 19).IsAcquired);
            Assert.False(perCustomer.AttemptAcquire("customer-7").IsAcquired);
            Assert.True(perCustomer.AttemptAcquire("customer-8", 20).IsAcquired);
        }

        {
            // snippet: RateLimiterQueue
            // With QueueLimit, AcquireAsync waits in this process (polling the store) until the permits are granted, ct
            // fires or the limiter is disposed; permits past QueueLimit are refused at once. No FIFO across processes.
            using RateLimiter reports = PersistentRateLimiter.CreateFixedWindow(p, "reports", new FixedWindowRateLimiterOptions
            {
                PermitLimit = 2, Window = TimeSpan.FromSeconds(10), QueueLimit = 5,
            });
            using RateLimitLease report = await reports.AcquireAsync(permitCount: 1, ct);
            // end snippet

            Assert.True(report.IsAcquired);
            Assert.True(reports.AttemptAcquire().IsAcquired);
            var waiting = reports.AcquireAsync(1, ct).AsTask();
            for (var i = 0; i < 200 && !waiting.IsCompleted; i++)
            {
                if (reports.GetStatistics()!.CurrentQueuedCount == 1)
                {
                    time.Advance(TimeSpan.FromMilliseconds(500));
                }

                await Task.Delay(5, ct);
            }

            using var waited = await waiting;
            Assert.True(waited.IsAcquired);
            Assert.False(reports.AttemptAcquire(2).IsAcquired);   // the new window's second permit is left, not two
        }

        {
            // snippet: RateLimiterAdmin
            bool had = await p.RateLimits.ResetAsync("partner-api");   // forgets the key's state: the whole budget is back
            PersistenceStats stats = await p.Admin.GetStatsAsync();     // stats.RateLimits: keys with state (Live), idle (Expired)
            PruneResult pruned = await p.PruneAsync();                  // pruned.RateLimits: the idle keys' rows, removed
            // end snippet

            Assert.True(had);
            Assert.Equal(5, stats.RateLimits.Live + stats.RateLimits.Expired);   // sms, exports, api:customer-7, api:customer-8, reports
            Assert.Equal(stats.RateLimits.Expired, pruned.RateLimits);
            Assert.Equal(new RowCounts(stats.RateLimits.Live, 0), (await p.Admin.GetStatsAsync(ct)).RateLimits);
        }
    }
}
