namespace NativeAotPersistence;

/// <summary>
/// The base of the fleet breaker's rules: reads a circuit's row (its columns and its <see cref="CircuitFleetState"/>),
/// lets the rule decide, and writes the row back when the rule changed it. Pure: no storage, no I/O, no user code; the
/// clock is the store's, passed in. A rule may be applied more than once (the store retries its transaction): each
/// <see cref="Apply"/> sets every output anew from the row it is given.
/// </summary>
/// <remarks>
/// <para>
/// The row's <see cref="CircuitRow.State"/> is the truth about the state: a fleet text written with another state (the
/// contract API changed the row since), or none, or one that does not read, is replaced by one derived from the
/// columns: closed with the stored consecutive failure count; open until <see cref="CircuitRow.LastFailureMs"/> plus
/// <see cref="CircuitPolicy.BreakMs"/> (at once when there is no failure time); half-open with no trial in flight.
/// </para>
/// <para>
/// The clock may go backwards (a stepped system clock, another machine's): an open circuit whose opening time is
/// ahead of the clock keeps its break's length from now (not the clock's step), a trial lease never outlives now plus
/// its time to live, and the window's buckets move back with the clock (time stood still for them). Such a correction is
/// stored with the next write, which the rule then makes even when its decision changes nothing.
/// </para>
/// </remarks>
internal abstract class CircuitFleetRule : CircuitRule
{
    private bool _dirty;
    private bool _discard;
    private (int Failures, double Rate)? _healthAtOpening;

    /// <summary>Initializes the rule.</summary>
    /// <param name="policy">The breaker's policy.</param>
    protected CircuitFleetRule(CircuitPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(policy);
        Policy = policy;
    }

    /// <summary>Gets a value indicating whether the rule changed the state (see <see cref="From"/> and <see cref="To"/>).</summary>
    public bool Transitioned { get; private set; }

    /// <summary>Gets the state before the transition the rule caused (when <see cref="Transitioned"/>).</summary>
    public CircuitState From { get; private set; }

    /// <summary>Gets the state after the transition the rule caused (when <see cref="Transitioned"/>; isolated is open).</summary>
    public CircuitState To { get; private set; }

    /// <summary>Gets the state after the rule (isolated is <see cref="CircuitState.Open"/> with <see cref="IsIsolated"/>).</summary>
    public CircuitState State { get; private set; }

    /// <summary>Gets a value indicating whether the circuit is isolated after the rule.</summary>
    public bool IsIsolated { get; private set; }

    /// <summary>
    /// Gets the stored re-open count the rule saw: the openings since the circuit was last closed (Polly's half-open
    /// attempts). The breaker passes it to the user's break-duration generator, outside the rule.
    /// </summary>
    public int ReopenCount { get; private set; }

    /// <summary>
    /// Gets the failures counted after the rule (by a rule that opened the circuit: those that opened it, Polly's
    /// <c>FailureCount</c> for its break-duration generator): the window's in the ratio mode, the consecutive ones in the
    /// consecutive mode.
    /// </summary>
    public int FailureCount { get; private set; }

    /// <summary>
    /// Gets the window's failure ratio after the rule (by a rule that opened the circuit: the one that opened it); 0 in
    /// the consecutive mode and for an empty window.
    /// </summary>
    public double FailureRate { get; private set; }

    /// <summary>Gets the breaker's policy.</summary>
    protected CircuitPolicy Policy { get; }

    /// <summary>Gets the fleet state the rule works on.</summary>
    protected CircuitFleetState Fleet { get; private set; } = CircuitFleetState.Fresh();

    /// <summary>Gets or sets the consecutive failures (the row's <see cref="CircuitRow.FailureCount"/>).</summary>
    protected int Failures { get; set; }

    /// <summary>Gets or sets the row's <see cref="CircuitRow.LastFailureMs"/>.</summary>
    protected long? LastFailureMs { get; set; }

    /// <summary>Gets or sets the row's <see cref="CircuitRow.LastSuccessMs"/>.</summary>
    protected long? LastSuccessMs { get; set; }

    /// <inheritdoc/>
    public sealed override CircuitRow? Apply(CircuitRow? stored, long nowMs)
    {
        Transitioned = false;
        From = default;
        To = default;
        _dirty = false;
        _discard = false;
        _healthAtOpening = null;
        ResetOutputs();

        Load(stored, nowMs);
        ReopenCount = Fleet.ReopenCount;
        var write = Decide(nowMs) || _dirty;

        State = Fleet.State;
        IsIsolated = Fleet.Isolated;
        (FailureCount, FailureRate) = _healthAtOpening ?? Health(nowMs);
        if (_discard || !write)
        {
            return null;
        }

        return new CircuitRow
        {
            State = Fleet.State,
            FailureCount = Failures,
            LastFailureMs = LastFailureMs,
            LastSuccessMs = LastSuccessMs,
            Fleet = Fleet.Format(),
        };
    }

    /// <summary>Adds <paramref name="value"/> (at least 0) to <paramref name="time"/>, saturating at <see cref="long.MaxValue"/>.</summary>
    /// <param name="time">A time.</param>
    /// <param name="value">A non-negative span.</param>
    /// <returns>The sum.</returns>
    internal static long AddMs(long time, long value)
    {
        value = Math.Max(0, value);
        return time > long.MaxValue - value ? long.MaxValue : time + value;
    }

    /// <summary>Subtracts <paramref name="b"/> from <paramref name="a"/>, saturating at both ends.</summary>
    /// <param name="a">The minuend.</param>
    /// <param name="b">The subtrahend.</param>
    /// <returns>The difference.</returns>
    internal static long SubMs(long a, long b)
    {
        var difference = unchecked(a - b);
        return ((a ^ b) & (a ^ difference)) < 0 ? (a < 0 ? long.MinValue : long.MaxValue) : difference;
    }

    /// <summary>Clears the rule's own outputs, before each run.</summary>
    protected abstract void ResetOutputs();

    /// <summary>Decides: changes <see cref="Fleet"/> and the columns as the rule says.</summary>
    /// <param name="nowMs">The store's clock.</param>
    /// <returns>Whether the row changed and is to be stored.</returns>
    protected abstract bool Decide(long nowMs);

    /// <summary>Records a transition the rule caused (the first state before, the last after).</summary>
    /// <param name="from">The state before.</param>
    /// <param name="to">The state after.</param>
    protected void Transition(CircuitState from, CircuitState to)
    {
        if (!Transitioned)
        {
            From = from;
            Transitioned = true;
        }

        To = to;
    }

    /// <summary>Makes this run store nothing at all, whatever it changed.</summary>
    protected void Discard() => _discard = true;

    /// <summary>Opens the circuit now for <paramref name="breakMs"/>: a new opening (the re-open count grows by one).</summary>
    /// <param name="nowMs">The store's clock.</param>
    /// <param name="breakMs">The break.</param>
    protected void OpenFor(long nowMs, long breakMs)
    {
        _healthAtOpening = Health(nowMs);
        Fleet.State = CircuitState.Open;
        Fleet.Isolated = false;
        Fleet.OpenedAtMs = nowMs;
        Fleet.OpenUntilMs = AddMs(nowMs, breakMs);
        Fleet.ReopenCount = Fleet.ReopenCount == int.MaxValue ? int.MaxValue : Fleet.ReopenCount + 1;
        Fleet.TrialSuccesses = 0;

        // Trials still in flight keep their leases (until they end or expire): the next half-open period counts them, so
        // a re-opening never lets more than HalfOpenMaxTrials trial calls run at once.

        // What the window holds while the circuit is not closed decides nothing (Polly resets it when it closes).
        Fleet.Buckets.Clear();
    }

    /// <summary>Closes the circuit: nothing counted, no trial, no re-opening (the failure and success times are kept).</summary>
    protected void CloseAll()
    {
        Fleet.State = CircuitState.Closed;
        Fleet.Isolated = false;
        Fleet.OpenedAtMs = 0;
        Fleet.OpenUntilMs = long.MaxValue;
        Fleet.ReopenCount = 0;
        Fleet.TrialSuccesses = 0;
        Fleet.Trials.Clear();
        Fleet.Buckets.Clear();
        Failures = 0;
    }

    /// <summary>Frees the trial lease <paramref name="trialId"/>, if the circuit holds it (in any state).</summary>
    /// <param name="trialId">The trial's id, or <see langword="null"/>.</param>
    /// <returns>Whether a lease was freed.</returns>
    protected bool Release(long? trialId)
    {
        if (trialId is not { } id)
        {
            return false;
        }

        for (var i = 0; i < Fleet.Trials.Count; i++)
        {
            if (Fleet.Trials[i].Id == id)
            {
                Fleet.Trials.RemoveAt(i);
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Counts one outcome in the failure-ratio window, Polly v8's way: a new bucket starts with an outcome at least a
    /// bucket's length after the current one started; buckets that started a sampling duration ago or more drop out.
    /// </summary>
    /// <param name="nowMs">The store's clock.</param>
    /// <param name="success">Whether the outcome was a success.</param>
    protected void Count(long nowMs, bool success)
    {
        var buckets = Fleet.Buckets;
        if (buckets.Count > 0 && buckets[^1].StartMs > nowMs)
        {
            // The clock went back: the buckets move back with it.
            var shift = SubMs(buckets[^1].StartMs, nowMs);
            for (var i = 0; i < buckets.Count; i++)
            {
                buckets[i] = new CircuitWindowBucket(SubMs(buckets[i].StartMs, shift), buckets[i].Successes, buckets[i].Failures);
            }
        }

        if (buckets.Count == 0 || SubMs(nowMs, buckets[^1].StartMs) >= Policy.BucketMs)
        {
            buckets.Add(new CircuitWindowBucket(nowMs, 0, 0));
        }

        while (SubMs(nowMs, buckets[0].StartMs) >= Policy.SamplingMs)
        {
            buckets.RemoveAt(0);
        }

        var current = buckets[^1];
        buckets[^1] = success
            ? new CircuitWindowBucket(current.StartMs, current.Successes == int.MaxValue ? int.MaxValue : current.Successes + 1, current.Failures)
            : new CircuitWindowBucket(current.StartMs, current.Successes, current.Failures == int.MaxValue ? int.MaxValue : current.Failures + 1);
    }

    /// <summary>
    /// The failures and the failure ratio now: in the ratio mode, the window's (its buckets that started less than a
    /// sampling duration ago); in the consecutive mode, the consecutive failures and 0.
    /// </summary>
    /// <param name="nowMs">The store's clock.</param>
    /// <returns>The failures and the ratio.</returns>
    protected (int Failures, double Rate) Health(long nowMs)
    {
        if (Policy.Mode == CircuitMode.Consecutive)
        {
            return (Failures, 0);
        }

        var (successes, failures) = WindowCounts(nowMs);
        var total = successes + failures;
        return ((int)Math.Min(failures, int.MaxValue), total == 0 ? 0 : failures / (double)total);
    }

    /// <summary>The successes and failures the window holds now (what <see cref="Count"/> would leave, before counting).</summary>
    /// <param name="nowMs">The store's clock.</param>
    /// <returns>The counts.</returns>
    protected (long Successes, long Failures) WindowCounts(long nowMs)
    {
        var buckets = Fleet.Buckets;
        if (buckets.Count == 0)
        {
            return (0, 0);
        }

        var shift = buckets[^1].StartMs > nowMs ? SubMs(buckets[^1].StartMs, nowMs) : 0;
        long successes = 0, failures = 0;
        foreach (var bucket in buckets)
        {
            if (SubMs(nowMs, SubMs(bucket.StartMs, shift)) < Policy.SamplingMs)
            {
                successes += bucket.Successes;
                failures += bucket.Failures;
            }
        }

        return (successes, failures);
    }

    private static CircuitState RowState(CircuitRow? stored) =>
        stored?.State is CircuitState.Open or CircuitState.HalfOpen ? stored.State : CircuitState.Closed;

    private void Load(CircuitRow? stored, long nowMs)
    {
        Failures = Math.Max(0, stored?.FailureCount ?? 0);
        LastFailureMs = stored?.LastFailureMs;
        LastSuccessMs = stored?.LastSuccessMs;

        var state = RowState(stored);
        var parsed = CircuitFleetState.TryParse(stored?.Fleet, out var fleet);
        if (!parsed || fleet.State != state)
        {
            fleet = Derive(stored, state, parsed ? fleet : null, nowMs);
        }

        Fleet = fleet;
        Normalize(nowMs);
    }

    // A fleet state from the columns alone, for a row with no fleet text (written by the contract API), a text that does
    // not read, or one written with another state: only the trial ids (which must keep growing) and, for a circuit that
    // is not closed, the re-open count carry over.
    private CircuitFleetState Derive(CircuitRow? stored, CircuitState state, CircuitFleetState? old, long nowMs)
    {
        var fleet = CircuitFleetState.Fresh();
        fleet.State = state;
        fleet.NextTrialId = old?.NextTrialId ?? 0;
        if (state == CircuitState.Closed)
        {
            return fleet;
        }

        fleet.ReopenCount = old?.ReopenCount ?? 0;
        if (state == CircuitState.Open)
        {
            // As the contract API's readers see it: open until the last failure plus the break; at once without one.
            fleet.OpenedAtMs = stored?.LastFailureMs ?? nowMs;
            fleet.OpenUntilMs = stored?.LastFailureMs is { } last ? AddMs(last, Policy.BreakMs) : long.MinValue;
        }

        return fleet;
    }

    private void Normalize(long nowMs)
    {
        if (Fleet.State != CircuitState.HalfOpen)
        {
            Fleet.TrialSuccesses = 0;
        }

        if (Fleet.State == CircuitState.Closed || Fleet.Isolated)
        {
            // A closed circuit admits every call and counts no trial; an isolated one admits none until it is closed.
            Fleet.Trials.Clear();
        }

        if (Fleet.State == CircuitState.Closed)
        {
            Fleet.ReopenCount = 0;
            Fleet.OpenedAtMs = 0;
            Fleet.OpenUntilMs = long.MaxValue;
        }
        else
        {
            Fleet.Buckets.Clear();
        }

        if (Fleet.State == CircuitState.Open && !Fleet.Isolated && nowMs < Fleet.OpenedAtMs)
        {
            // The clock went back past the opening: the break keeps its length, from now.
            var length = Math.Max(0, SubMs(Fleet.OpenUntilMs, Fleet.OpenedAtMs));
            Fleet.OpenedAtMs = nowMs;
            Fleet.OpenUntilMs = AddMs(nowMs, length);
            _dirty = true;
        }

        if (Fleet.Trials.Count > 0)
        {
            var latest = AddMs(nowMs, Policy.TrialLeaseTtlMs);
            for (var i = 0; i < Fleet.Trials.Count; i++)
            {
                if (Fleet.Trials[i].ExpiresAtMs > latest)
                {
                    Fleet.Trials[i] = new CircuitTrialLease(Fleet.Trials[i].Id, latest);
                    _dirty = true;
                }
            }
        }

        for (var i = 1; i < Fleet.Buckets.Count; i++)
        {
            if (Fleet.Buckets[i].StartMs < Fleet.Buckets[i - 1].StartMs)
            {
                // Not a window the rules wrote (they keep the starts in order): it counts nothing.
                Fleet.Buckets.Clear();
                break;
            }
        }
    }
}
