namespace NativeAotPersistence;

/// <summary>
/// Whether a call may run: a closed circuit admits it; an open one rejects it until its break ends, then goes
/// half-open; a half-open one grants a trial lease while fewer than <see cref="CircuitPolicy.HalfOpenMaxTrials"/>
/// unexpired leases are held (by any caller), and rejects it otherwise; an isolated one rejects it for good.
/// </summary>
/// <remarks>
/// A closed circuit, and a rejection, store nothing (unless the row needs a clock correction). An admitted trial must
/// end in exactly one of <see cref="CircuitSucceedRule"/>, <see cref="CircuitFailRule"/> or
/// <see cref="CircuitAbandonRule"/> with its <see cref="TrialId"/>; if its caller never reports, the lease frees its
/// permit after <see cref="CircuitPolicy.TrialLeaseTtlMs"/>.
/// </remarks>
internal sealed class CircuitAdmitRule : CircuitFleetRule
{
    /// <summary>Initializes the rule.</summary>
    /// <param name="policy">The breaker's policy.</param>
    public CircuitAdmitRule(CircuitPolicy policy)
        : base(policy)
    {
    }

    /// <summary>Gets a value indicating whether the call may run.</summary>
    public bool Admitted { get; private set; }

    /// <summary>Gets the trial lease granted to the call (a half-open circuit), or <see langword="null"/>.</summary>
    public long? TrialId { get; private set; }

    /// <summary>
    /// Gets, for a rejected call, when to try again (Unix ms): the end of the break for an open circuit, the earliest
    /// expiry of a trial lease for a half-open one with every permit taken (a permit frees at the latest then),
    /// <see cref="long.MaxValue"/> (never) for an isolated one.
    /// </summary>
    public long RetryAtMs { get; private set; }

    /// <inheritdoc/>
    protected override void ResetOutputs()
    {
        Admitted = false;
        TrialId = null;
        RetryAtMs = 0;
    }

    /// <inheritdoc/>
    protected override bool Decide(long nowMs)
    {
        var fleet = Fleet;
        if (fleet.State == CircuitState.Closed)
        {
            Admitted = true;
            return false;
        }

        if (fleet.Isolated)
        {
            RetryAtMs = long.MaxValue;
            return false;
        }

        var changed = false;
        if (fleet.State == CircuitState.Open)
        {
            if (nowMs < fleet.OpenUntilMs)
            {
                RetryAtMs = fleet.OpenUntilMs;
                return false;
            }

            // Trials of an earlier half-open period still in flight keep their permits (see OpenFor).
            fleet.State = CircuitState.HalfOpen;
            fleet.OpenUntilMs = long.MaxValue;
            fleet.TrialSuccesses = 0;
            Transition(CircuitState.Open, CircuitState.HalfOpen);
            changed = true;
        }

        // Expired leases free their permits (a caller that died, or hangs past the lease's life).
        var earliest = long.MaxValue;
        for (var i = fleet.Trials.Count - 1; i >= 0; i--)
        {
            if (fleet.Trials[i].ExpiresAtMs <= nowMs)
            {
                fleet.Trials.RemoveAt(i);
            }
            else
            {
                earliest = Math.Min(earliest, fleet.Trials[i].ExpiresAtMs);
            }
        }

        if (fleet.Trials.Count >= Policy.HalfOpenMaxTrials)
        {
            RetryAtMs = earliest;
            return changed;
        }

        // Ids grow within the row, and with the clock, so that an id from before the row was deleted is not reused.
        var id = Math.Max(Math.Max(fleet.NextTrialId, nowMs), 1);
        fleet.NextTrialId = id == long.MaxValue ? id : id + 1;
        fleet.Trials.Add(new CircuitTrialLease(id, AddMs(nowMs, Policy.TrialLeaseTtlMs)));
        Admitted = true;
        TrialId = id;
        return true;
    }
}

/// <summary>
/// An admitted call succeeded. Closed: the consecutive failure count starts again (and in the ratio mode the window
/// counts a success). Half-open: frees the call's trial lease (if it holds one) and counts a trial success for the
/// whole fleet; <see cref="CircuitPolicy.SuccessThreshold"/> of them close the circuit (the window, the re-open count
/// and the failure count start again). Open or isolated: a late result of a call admitted before; it frees its trial
/// lease if it still holds one, nothing else changes.
/// </summary>
/// <remarks>
/// As in Polly, any success while half-open counts, a trial's or that of a call admitted before the circuit opened.
/// In the consecutive mode, a success while closed with no failure counted stores nothing (so
/// <see cref="CircuitRow.LastSuccessMs"/> is the time of the last success that changed something).
/// </remarks>
internal sealed class CircuitSucceedRule : CircuitFleetRule
{
    private readonly long? _trialId;

    /// <summary>Initializes the rule.</summary>
    /// <param name="policy">The breaker's policy.</param>
    /// <param name="trialId">The call's trial lease (<see cref="CircuitAdmitRule.TrialId"/>), or <see langword="null"/>.</param>
    public CircuitSucceedRule(CircuitPolicy policy, long? trialId)
        : base(policy) => _trialId = trialId;

    /// <inheritdoc/>
    protected override void ResetOutputs()
    {
    }

    /// <inheritdoc/>
    protected override bool Decide(long nowMs)
    {
        switch (Fleet.State)
        {
            case CircuitState.Closed:
                if (Policy.Mode == CircuitMode.Ratio)
                {
                    Count(nowMs, success: true);
                }
                else if (Failures == 0)
                {
                    return false;
                }

                Failures = 0;
                LastSuccessMs = nowMs;
                return true;

            case CircuitState.HalfOpen:
                Release(_trialId);
                Fleet.TrialSuccesses = Fleet.TrialSuccesses == int.MaxValue ? int.MaxValue : Fleet.TrialSuccesses + 1;
                Failures = 0;
                LastSuccessMs = nowMs;
                if (Fleet.TrialSuccesses >= Policy.SuccessThreshold)
                {
                    CloseAll();
                    Transition(CircuitState.HalfOpen, CircuitState.Closed);
                }

                return true;

            default:
                // A late result while open: it frees its trial lease, if it still holds one.
                return Release(_trialId);
        }
    }
}

/// <summary>
/// An admitted call failed. Closed: counts it (consecutively, or in the ratio mode in the window) and opens the
/// circuit when <see cref="CircuitPolicy.FailureThreshold"/> consecutive failures, or a window of at least
/// <see cref="CircuitPolicy.MinimumThroughput"/> calls with at least <see cref="CircuitPolicy.FailureRatio"/> failed,
/// say so. Half-open: re-opens it. An opening lasts the break the caller passed and adds one to the re-open count.
/// Open or isolated: a late result; the failure count and time are recorded and its trial lease (if it still holds
/// one) freed, nothing else changes.
/// </summary>
/// <remarks>
/// The break is computed by the caller before the rule runs (a user's generator never runs inside a rule), from the
/// re-open count it last saw (<see cref="CircuitFleetRule.ReopenCount"/> of its admission). When the caller names that
/// count (<c>expectedReopenCount</c>) and the rule would open the circuit with another stored count, the rule stores
/// nothing and reports <see cref="BreakStale"/>: the caller computes the break for <see cref="CircuitFleetRule.ReopenCount"/>
/// and runs a new rule.
/// </remarks>
internal sealed class CircuitFailRule : CircuitFleetRule
{
    private readonly long? _trialId;
    private readonly long _breakMs;
    private readonly int? _expectedReopenCount;

    /// <summary>Initializes the rule.</summary>
    /// <param name="policy">The breaker's policy.</param>
    /// <param name="trialId">The call's trial lease (<see cref="CircuitAdmitRule.TrialId"/>), or <see langword="null"/>.</param>
    /// <param name="breakMsIfOpened">
    /// The break if this failure opens the circuit (ms), or <see cref="AskForBreak"/>: then a failure that would open it
    /// stores nothing and reports <see cref="NeedsBreak"/> (with the counts at the opening), for the caller to generate
    /// the break outside the store and run the rule again.
    /// </param>
    /// <param name="expectedReopenCount">The re-open count the break was computed for, or <see langword="null"/> for any.</param>
    public CircuitFailRule(CircuitPolicy policy, long? trialId, long breakMsIfOpened, int? expectedReopenCount = null)
        : base(policy)
    {
        _trialId = trialId;
        _breakMs = breakMsIfOpened == AskForBreak ? AskForBreak : Math.Max(0, breakMsIfOpened);
        _expectedReopenCount = expectedReopenCount;
    }

    /// <summary>Gets a value indicating whether this failure opened the circuit.</summary>
    public bool Opened => Transitioned && To == CircuitState.Open;

    /// <summary>
    /// Gets a value indicating whether the rule stored nothing because the break was computed for another re-open count
    /// than the stored one (<see cref="CircuitFleetRule.ReopenCount"/>).
    /// </summary>
    public bool BreakStale { get; private set; }

    /// <summary>The break to pass when the caller generates it only for a failure that opens the circuit.</summary>
    public const long AskForBreak = -1;

    /// <summary>
    /// Gets a value indicating whether the rule stored nothing because this failure would open the circuit and the break
    /// was asked for (<see cref="AskForBreak"/>): <see cref="CircuitFleetRule.ReopenCount"/>,
    /// <see cref="CircuitFleetRule.FailureCount"/> and <see cref="CircuitFleetRule.FailureRate"/> are those of the opening.
    /// </summary>
    public bool NeedsBreak { get; private set; }

    /// <inheritdoc/>
    protected override void ResetOutputs() => (BreakStale, NeedsBreak) = (false, false);

    /// <inheritdoc/>
    protected override bool Decide(long nowMs)
    {
        LastFailureMs = nowMs;
        Failures = Failures == int.MaxValue ? int.MaxValue : Failures + 1;
        switch (Fleet.State)
        {
            case CircuitState.Closed:
                bool open;
                if (Policy.Mode == CircuitMode.Ratio)
                {
                    // Polly: count the failure, then open when the window holds enough calls and enough failed.
                    Count(nowMs, success: false);
                    var (successes, failures) = WindowCounts(nowMs);
                    var total = successes + failures;
                    open = total >= Policy.MinimumThroughput && failures / (double)total >= Policy.FailureRatio;
                }
                else
                {
                    open = Failures >= Policy.FailureThreshold;
                }

                if (open && !Stale())
                {
                    OpenFor(nowMs, _breakMs);
                    Transition(CircuitState.Closed, CircuitState.Open);
                }

                return true;

            case CircuitState.HalfOpen:
                Release(_trialId);
                if (!Stale())
                {
                    OpenFor(nowMs, _breakMs);
                    Transition(CircuitState.HalfOpen, CircuitState.Open);
                }

                return true;

            default:
                Release(_trialId);
                return true;
        }
    }

    private bool Stale()
    {
        if (_breakMs == AskForBreak)
        {
            NeedsBreak = true;
            Discard();
            return true;
        }

        if (_expectedReopenCount is { } expected && expected != Fleet.ReopenCount)
        {
            BreakStale = true;
            Discard();
            return true;
        }

        return false;
    }
}

/// <summary>
/// An admitted call neither succeeded nor failed (its caller cancelled it, or an exception that is not a failure):
/// frees its trial lease, if the circuit still holds it; records nothing else.
/// </summary>
internal sealed class CircuitAbandonRule : CircuitFleetRule
{
    private readonly long? _trialId;

    /// <summary>Initializes the rule.</summary>
    /// <param name="policy">The breaker's policy.</param>
    /// <param name="trialId">The call's trial lease (<see cref="CircuitAdmitRule.TrialId"/>), or <see langword="null"/>.</param>
    public CircuitAbandonRule(CircuitPolicy policy, long? trialId)
        : base(policy) => _trialId = trialId;

    /// <inheritdoc/>
    protected override void ResetOutputs()
    {
    }

    /// <inheritdoc/>
    protected override bool Decide(long nowMs) => Release(_trialId);
}

/// <summary>
/// Isolates the circuit by hand: open, rejecting every call, until <see cref="CircuitCloseRule"/>; trials in flight lose
/// their leases. The re-open count is kept. Reported as a transition to <see cref="CircuitState.Open"/>, also from open
/// (Polly reports a manual opening then too); an isolated circuit stays as it is.
/// </summary>
internal sealed class CircuitIsolateRule : CircuitFleetRule
{
    /// <summary>Initializes the rule.</summary>
    /// <param name="policy">The breaker's policy.</param>
    public CircuitIsolateRule(CircuitPolicy policy)
        : base(policy)
    {
    }

    /// <inheritdoc/>
    protected override void ResetOutputs()
    {
    }

    /// <inheritdoc/>
    protected override bool Decide(long nowMs)
    {
        if (Fleet.Isolated)
        {
            return false;
        }

        var from = Fleet.State;
        Fleet.State = CircuitState.Open;
        Fleet.Isolated = true;
        Fleet.OpenedAtMs = nowMs;
        Fleet.OpenUntilMs = long.MaxValue;
        Fleet.TrialSuccesses = 0;
        Fleet.Trials.Clear();
        Fleet.Buckets.Clear();
        Transition(from, CircuitState.Open);
        return true;
    }
}

/// <summary>
/// Closes the circuit by hand, from any state (isolated included): everything starts again: the failure count, the
/// window, the re-open count, the trials. The failure and success times are kept.
/// </summary>
internal sealed class CircuitCloseRule : CircuitFleetRule
{
    /// <summary>Initializes the rule.</summary>
    /// <param name="policy">The breaker's policy.</param>
    public CircuitCloseRule(CircuitPolicy policy)
        : base(policy)
    {
    }

    /// <inheritdoc/>
    protected override void ResetOutputs()
    {
    }

    /// <inheritdoc/>
    protected override bool Decide(long nowMs)
    {
        var from = Fleet.State;
        CloseAll();
        if (from != CircuitState.Closed)
        {
            Transition(from, CircuitState.Closed);
        }

        return true;
    }
}

/// <summary>
/// Reads the state callers see now and stores nothing: an open circuit whose break has ended reads half-open (the next
/// call may be a trial), an isolated one open, whatever time has passed.
/// </summary>
internal sealed class CircuitPeekRule : CircuitFleetRule
{
    /// <summary>Initializes the rule.</summary>
    /// <param name="policy">The breaker's policy.</param>
    public CircuitPeekRule(CircuitPolicy policy)
        : base(policy)
    {
    }

    /// <summary>Gets the state callers see now.</summary>
    public CircuitState Effective { get; private set; }

    /// <inheritdoc/>
    protected override void ResetOutputs() => Effective = CircuitState.Closed;

    /// <inheritdoc/>
    protected override bool Decide(long nowMs)
    {
        Discard();
        var fleet = Fleet;
        Effective = fleet.State == CircuitState.Open && !fleet.Isolated && nowMs >= fleet.OpenUntilMs ? CircuitState.HalfOpen : fleet.State;
        return false;
    }
}
