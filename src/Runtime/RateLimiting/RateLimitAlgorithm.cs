using System.Globalization;

namespace NativeAotPersistence;

/// <summary>One decision of a rate-limit algorithm, as its tests see it.</summary>
/// <param name="Acquired">Whether the permits were granted.</param>
/// <param name="Available">The permits (tokens) left after the decision.</param>
/// <param name="RetryAfterTicks">The <c>RetryAfter</c> of a refusal, in ticks; negative when there is none.</param>
internal readonly record struct RateLimitDecision(bool Acquired, int Available, long RetryAfterTicks);

/// <summary>One update of a key, as the algorithms' tests see it: the new state, its expiry and the decision.</summary>
internal readonly record struct RateLimitOutcome(string State, long ExpiresAtMs, RateLimitDecision Result);

/// <summary>
/// A rate-limit algorithm as a pure function over a key's state text: what <see cref="IRateLimitStore.UpdateAsync"/>
/// runs inside the backend's transaction. States carry a tag (<c>tb:</c>, <c>fw:</c>, <c>sw:</c>); a state that does
/// not parse as this algorithm's (another limiter kind used the key, or options changed its shape) counts as none.
/// </summary>
/// <remarks>
/// What the store returns is one number: the permits left when the acquisition was granted, <c>-1 - left</c> when it was
/// refused; a refusal's <c>RetryAfter</c> follows from it (<see cref="RetryAfterTicks"/>), so a store carries no more.
/// </remarks>
internal abstract class RateLimitAlgorithm : RateLimitRule
{

    /// <summary>Gets the most permits one acquisition may ask for.</summary>
    public abstract int PermitLimit { get; }

    /// <summary>Gets the replenishment period (a segment, a window) the limiter reports.</summary>
    public abstract TimeSpan ReplenishmentPeriod { get; }

    /// <summary>Whether a store's result is a grant.</summary>
    public static bool Acquired(long result) => result >= 0;

    /// <summary>The permits left after the decision a store's result reports.</summary>
    public static int Available(long result) => (int)(result >= 0 ? result : -1 - result);

    /// <summary>Decides one acquisition of <paramref name="argument"/> permits (0: only whether any is available).</summary>
    /// <inheritdoc/>
    public sealed override long Apply(string? stored, long nowMs, long argument, out string state, out long expiresAtMs)
    {
        var acquired = Decide(stored, nowMs, (int)argument, out var available, out state, out expiresAtMs);
        return acquired ? available : -1 - available;
    }

    /// <summary>A refusal's <c>RetryAfter</c> in ticks (negative: none), as the framework's limiter computes it.</summary>
    /// <param name="permits">The permits asked for.</param>
    /// <param name="available">The permits left after the refusal.</param>
    /// <param name="queued">The permits this process has queued (they count toward <c>RetryAfter</c>).</param>
    /// <returns>The ticks.</returns>
    public abstract long RetryAfterTicks(int permits, long available, int queued);

    /// <summary>One update with everything it decided: what the algorithms' tests check.</summary>
    public RateLimitOutcome Evaluate(string? stored, long now, int permits, int queued)
    {
        var result = Apply(stored, now, permits, out var state, out var expiresAt);
        var acquired = Acquired(result);
        return new(state, expiresAt, new(acquired, Available(result), acquired ? -1 : RetryAfterTicks(permits, Available(result), queued)));
    }

    /// <summary>Decides one acquisition of <paramref name="permits"/> at <paramref name="now"/>.</summary>
    /// <param name="stored">The key's state, or <see langword="null"/>.</param>
    /// <param name="now">Unix ms.</param>
    /// <param name="permits">The permits asked for (0: only whether any is available).</param>
    /// <param name="available">The permits left after the decision.</param>
    /// <param name="state">The new state.</param>
    /// <param name="expiresAt">When the new state is worth no more than none (Unix ms).</param>
    /// <returns>Whether the permits were granted.</returns>
    protected abstract bool Decide(string? stored, long now, int permits, out long available, out string state, out long expiresAt);

    /// <summary>Converts a period to whole milliseconds, refusing one under a millisecond or over ten years.</summary>
    protected static long PeriodMs(TimeSpan period, string what, string paramName = "options")
    {
        if (period < TimeSpan.FromMilliseconds(1) || period > TimeSpan.FromDays(3650))
        {
            throw new ArgumentOutOfRangeException(paramName, period, $"{what} must be 1 ms to 10 years: the store counts time in milliseconds.");
        }

        return (long)period.TotalMilliseconds;
    }

    /// <summary>Parses <c>{tag}{a};{b}[;…]</c> into <paramref name="values"/>; <see langword="false"/> if it is not that.</summary>
    protected static bool TryParse(string? stored, string tag, Span<long> values, out ReadOnlySpan<char> rest)
    {
        rest = default;
        if (stored is null || !stored.StartsWith(tag, StringComparison.Ordinal))
        {
            return false;
        }

        var text = stored.AsSpan(tag.Length);
        for (var i = 0; i < values.Length; i++)
        {
            var end = text.IndexOf(';');
            var part = end < 0 ? text : text[..end];
            if (!long.TryParse(part, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out values[i]))
            {
                return false;
            }

            text = end < 0 ? [] : text[(end + 1)..];
        }

        rest = text;
        return true;
    }
}

/// <summary>
/// A token bucket: <c>tb:{tokens};{lastMs}</c>. Whole periods elapsed since the last replenishment each add
/// <c>TokensPerPeriod</c> (up to <c>TokenLimit</c>), on a grid that starts at the key's first use, as the framework's
/// limiter replenishes once per period; a refusal's <c>RetryAfter</c> is the framework's too.
/// </summary>
internal sealed class TokenBucketAlgorithm : RateLimitAlgorithm
{
    private readonly int _limit;
    private readonly int _perPeriod;
    private readonly long _periodMs;
    private readonly long _periodTicks;

    public TokenBucketAlgorithm(int tokenLimit, int tokensPerPeriod, TimeSpan replenishmentPeriod)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(tokenLimit, 1, "options.TokenLimit");
        ArgumentOutOfRangeException.ThrowIfLessThan(tokensPerPeriod, 1, "options.TokensPerPeriod");
        _periodMs = PeriodMs(replenishmentPeriod, "ReplenishmentPeriod");
        (_limit, _perPeriod, _periodTicks) = (tokenLimit, tokensPerPeriod, replenishmentPeriod.Ticks);
    }

    public override int PermitLimit => _limit;

    public override TimeSpan ReplenishmentPeriod => TimeSpan.FromTicks(_periodTicks);

    // As the framework's CreateFailedTokenLease: the whole periods that bring the missing tokens, at least one.
    public override long RetryAfterTicks(int permits, long available, int queued) =>
        Math.Max((permits - available + queued) / _perPeriod, 1) * _periodTicks;

    protected override bool Decide(string? stored, long now, int permits, out long available, out string state, out long expiresAt)
    {
        Span<long> values = stackalloc long[2];
        long tokens = _limit, last = now;
        if (TryParse(stored, "tb:", values, out var rest) && rest.IsEmpty)
        {
            (tokens, last) = (Math.Clamp(values[0], 0, _limit), values[1]);
        }

        if (now > last)
        {
            var periods = (now - last) / _periodMs;
            if (periods > 0)
            {
                tokens = Math.Min(_limit, tokens + (Math.Min(periods, _limit) * _perPeriod));
                last += periods * _periodMs;
            }
        }

        var acquired = permits == 0 ? tokens > 0 : tokens >= permits;
        if (acquired)
        {
            tokens -= permits;
        }

        // Full again after the periods that bring the missing tokens: from then on no state is the same as this one.
        var missing = _limit - tokens;
        expiresAt = last + ((missing + _perPeriod - 1) / _perPeriod * _periodMs);
        state = string.Create(CultureInfo.InvariantCulture, $"tb:{tokens};{last}");
        available = tokens;
        return acquired;
    }
}

/// <summary>
/// A fixed window: <c>fw:{remaining};{windowStartMs}</c>. The first acquisition of an idle key starts a window; every
/// window that starts <c>Window</c> after the last gives <c>PermitLimit</c> back; <c>RetryAfter</c> as the framework's.
/// </summary>
internal sealed class FixedWindowAlgorithm : RateLimitAlgorithm
{
    private readonly int _limit;
    private readonly long _windowMs;
    private readonly long _windowTicks;

    public FixedWindowAlgorithm(int permitLimit, TimeSpan window)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(permitLimit, 1, "options.PermitLimit");
        _windowMs = PeriodMs(window, "Window");
        (_limit, _windowTicks) = (permitLimit, window.Ticks);
    }

    public override int PermitLimit => _limit;

    public override TimeSpan ReplenishmentPeriod => TimeSpan.FromTicks(_windowTicks);

    // As the framework's CreateFailedWindowLease: the whole windows that bring the missing permits, at least one.
    public override long RetryAfterTicks(int permits, long available, int queued) =>
        Math.Max((permits - available + queued) / _limit, 1) * _windowTicks;

    protected override bool Decide(string? stored, long now, int permits, out long available, out string state, out long expiresAt)
    {
        Span<long> values = stackalloc long[2];
        long remaining = _limit, start = now;
        if (TryParse(stored, "fw:", values, out var rest) && rest.IsEmpty)
        {
            (remaining, start) = (Math.Clamp(values[0], 0, _limit), values[1]);
        }

        if (now - start >= _windowMs)
        {
            start += (now - start) / _windowMs * _windowMs;
            remaining = _limit;
        }

        var acquired = permits == 0 ? remaining > 0 : remaining >= permits;
        if (acquired)
        {
            remaining -= permits;
        }

        state = string.Create(CultureInfo.InvariantCulture, $"fw:{remaining};{start}");
        expiresAt = start + _windowMs;
        available = remaining;
        return acquired;
    }
}

/// <summary>
/// A sliding window of <c>SegmentsPerWindow</c> segments: <c>sw:{available};{segment};{lastMs};{c0},{c1},…</c> (the
/// permits granted in each segment). Every whole segment elapsed moves the window one segment on and gives back what
/// the segment it reaches had granted, as the framework's limiter does once per segment.
/// </summary>
internal sealed class SlidingWindowAlgorithm : RateLimitAlgorithm
{
    private readonly int _limit;
    private readonly int _segments;
    private readonly long _segmentMs;
    private readonly long _segmentTicks;

    public SlidingWindowAlgorithm(int permitLimit, TimeSpan window, int segmentsPerWindow)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(permitLimit, 1, "options.PermitLimit");
        ArgumentOutOfRangeException.ThrowIfLessThan(segmentsPerWindow, 1, "options.SegmentsPerWindow");
        ArgumentOutOfRangeException.ThrowIfGreaterThan(segmentsPerWindow, 1000, "options.SegmentsPerWindow");
        _segmentTicks = window.Ticks / segmentsPerWindow;
        _segmentMs = PeriodMs(TimeSpan.FromTicks(_segmentTicks), "Window / SegmentsPerWindow");
        (_limit, _segments) = (permitLimit, segmentsPerWindow);
    }

    public override int PermitLimit => _limit;

    public override TimeSpan ReplenishmentPeriod => TimeSpan.FromTicks(_segmentTicks);

    // As the framework's sliding window: a refusal carries no RetryAfter.
    public override long RetryAfterTicks(int permits, long available, int queued) => -1;

    protected override bool Decide(string? stored, long now, int permits, out long available, out string state, out long expiresAt)
    {
        Span<long> values = stackalloc long[3];
        var counts = new long[_segments];
        long index = 0, last = now;
        available = _limit;
        if (TryParse(stored, "sw:", values, out var rest) && TryParseCounts(rest, counts) && values[1] >= 0 && values[1] < _segments)
        {
            (available, index, last) = (Math.Clamp(values[0], 0, _limit), values[1], values[2]);
        }
        else
        {
            Array.Clear(counts);
        }

        if (now > last)
        {
            var steps = (now - last) / _segmentMs;
            last += steps * _segmentMs;
            for (var i = 0; i < Math.Min(steps, _segments); i++)
            {
                // The window moves one segment on: what the segment it reaches granted, a window ago, is free again.
                index = (index + 1) % _segments;
                available = Math.Min(_limit, available + counts[index]);
                counts[index] = 0;
            }
        }

        var acquired = permits == 0 ? available > 0 : available >= permits;
        if (acquired)
        {
            available -= permits;
            counts[index] += permits;
        }

        state = string.Create(CultureInfo.InvariantCulture, $"sw:{available};{index};{last};{string.Join(',', counts)}");
        // Once the window has moved a whole window on from the last segment, every segment is free again.
        expiresAt = Array.TrueForAll(counts, static c => c == 0) && available == _limit ? last : last + (_segments * _segmentMs);
        return acquired;
    }

    private static bool TryParseCounts(ReadOnlySpan<char> text, long[] counts)
    {
        for (var i = 0; i < counts.Length; i++)
        {
            var end = text.IndexOf(',');
            var part = end < 0 ? text : text[..end];
            if (!long.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out counts[i]))
            {
                return false;
            }

            text = end < 0 ? [] : text[(end + 1)..];
            if (end < 0 != (i == counts.Length - 1))
            {
                return false;
            }
        }

        return true;
    }
}
