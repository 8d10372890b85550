namespace NativeAotPersistence.Tests.CircuitBreakers;

/// <summary>
/// The fleet breaker's rules on one row: the consecutive and ratio modes, half-open trials shared by several callers
/// (the "processes" of a fleet), manual isolation and closing, rows the rules did not write, and a clock that goes back.
/// </summary>
public sealed class CircuitRulesTests
{
    private static readonly TimeSpan s_break = TimeSpan.FromSeconds(30);

    [Fact]
    public void Consecutive_OpensAtTheThreshold_WaitsTheBreak_AndATrialClosesIt()
    {
        var c = new RuleCircuit(CircuitPolicy.Consecutive(3, s_break));
        var opened = c.NowMs;

        Assert.True(c.Admit().Admitted);
        Assert.Null(c.Row); // a closed admission stores nothing

        c.Fail();
        c.Fail();
        Assert.Equal(CircuitState.Closed, c.State);
        Assert.Equal(2, c.Row!.FailureCount);
        Assert.Equal(c.NowMs, c.Row.LastFailureMs);

        c.Advance(5);
        c.Succeed();
        Assert.Equal(0, c.Row.FailureCount);
        Assert.Equal(c.NowMs, c.Row.LastSuccessMs);

        c.Fail();
        Assert.False(c.Fail().Opened);
        var third = c.Fail();
        Assert.True(third.Opened);
        Assert.Equal((CircuitState.Closed, CircuitState.Open), (third.From, third.To));
        Assert.Equal(0, third.ReopenCount);
        Assert.Equal(3, third.FailureCount);
        Assert.Equal(CircuitState.Open, c.State);
        Assert.Equal(3, c.Row.FailureCount);

        var rejected = c.Admit();
        Assert.False(rejected.Admitted);
        Assert.Null(rejected.TrialId);
        Assert.False(rejected.Transitioned);
        Assert.Equal(c.NowMs + 30_000, rejected.RetryAtMs);

        c.Advance(29_999);
        Assert.False(c.Admit().Admitted);

        c.Advance(1);
        var trial = c.Admit();
        Assert.True(trial.Admitted);
        Assert.NotNull(trial.TrialId);
        Assert.Equal((CircuitState.Open, CircuitState.HalfOpen), (trial.From, trial.To));
        Assert.Equal(CircuitState.HalfOpen, c.State);

        var busy = c.Admit();
        Assert.False(busy.Admitted);
        Assert.False(busy.Transitioned);
        Assert.Equal(c.NowMs + 30_000, busy.RetryAtMs); // the trial's lease expires then at the latest

        var closed = c.Succeed(trial.TrialId);
        Assert.Equal((CircuitState.HalfOpen, CircuitState.Closed), (closed.From, closed.To));
        Assert.Equal(CircuitState.Closed, c.State);
        Assert.Equal(0, c.Row.FailureCount);
        Assert.Equal(c.NowMs, c.Row.LastSuccessMs);
        Assert.Equal(opened + 5, c.Row.LastFailureMs);
        Assert.Empty(c.Fleet.Trials);
        Assert.Equal(0, c.Fleet.ReopenCount);
        Assert.True(c.Admit().Admitted);
    }

    [Fact]
    public void TheReopenCount_CountsOpeningsSinceTheLastClose()
    {
        var c = new RuleCircuit(CircuitPolicy.Consecutive(1, TimeSpan.FromSeconds(1)));
        Assert.Equal(0, c.Fail().ReopenCount);
        for (var reopens = 1; reopens <= 3; reopens++)
        {
            c.Advance(1_000);
            var trial = c.Admit();
            Assert.Equal(reopens, trial.ReopenCount);
            var failed = c.Fail(trial.TrialId);
            Assert.Equal((CircuitState.HalfOpen, CircuitState.Open), (failed.From, failed.To));
            Assert.Equal(reopens, failed.ReopenCount);
            Assert.Equal(reopens + 1, c.Fleet.ReopenCount);
        }

        c.Advance(1_000);
        c.Succeed(c.Admit().TrialId);
        Assert.Equal(0, c.Fleet.ReopenCount);
        Assert.Equal(0, c.Fail().ReopenCount);
    }

    [Fact]
    public void ABreakComputedForAnotherReopenCount_StoresNothing_AndSaysWhichCountItSaw()
    {
        var c = new RuleCircuit(CircuitPolicy.Consecutive(1, TimeSpan.FromSeconds(1)));
        Assert.True(c.Fail(breakMs: 1_000, expectedReopenCount: 0).Opened);
        c.Advance(1_000);
        var trial = c.Admit();
        Assert.Equal(1, trial.ReopenCount);

        // A caller that last saw the count 0 (it computed a break of 1 s for it): nothing is stored.
        var before = RuleCircuit.Text(c.Row);
        var stale = c.Fail(trial.TrialId, breakMs: 1_000, expectedReopenCount: 0);
        Assert.True(stale.BreakStale);
        Assert.False(stale.Opened);
        Assert.Equal(1, stale.ReopenCount);
        Assert.Equal(before, RuleCircuit.Text(c.Row));

        // It computes the break for the count the rule saw, and runs a new rule.
        var fresh = c.Fail(trial.TrialId, breakMs: 2_000, expectedReopenCount: stale.ReopenCount);
        Assert.False(fresh.BreakStale);
        Assert.True(fresh.Opened);
        Assert.Equal(c.NowMs + 2_000, c.Fleet.OpenUntilMs);

        // A failure that opens nothing never needs the break.
        c.Advance(2_000);
        c.Close();
        var counted = new RuleCircuit(CircuitPolicy.Consecutive(2, s_break)) { Row = c.Row, NowMs = c.NowMs };
        Assert.False(counted.Fail(breakMs: 1, expectedReopenCount: 7).BreakStale);
        Assert.Equal(1, counted.Row!.FailureCount);
    }

    [Fact]
    public void FleetTrials_TwoCallersShareTheMaxTrials_AndTheSuccessThreshold()
    {
        var c = new RuleCircuit(CircuitPolicy.Consecutive(1, TimeSpan.FromSeconds(10), successThreshold: 3, halfOpenMaxTrials: 2, trialLeaseTtl: TimeSpan.FromMinutes(1)));
        c.Fail();
        c.Advance(10_000);

        var a = c.Admit(); // process A
        Assert.True(a.Transitioned);
        c.Advance(10);
        var b = c.Admit(); // process B
        Assert.True(b.Admitted);
        Assert.False(b.Transitioned);
        Assert.NotEqual(a.TrialId, b.TrialId);
        var refused = c.Admit(); // process A again
        Assert.False(refused.Admitted);
        Assert.Equal(c.NowMs - 10 + 60_000, refused.RetryAtMs); // A's lease frees first
        Assert.Equal(2, c.Fleet.Trials.Count);

        Assert.False(c.Succeed(a.TrialId).Transitioned);
        Assert.Equal(1, c.Fleet.TrialSuccesses);
        var d = c.Admit(); // B's process
        Assert.True(d.Admitted);
        Assert.Equal(2, c.Fleet.Trials.Count);

        Assert.False(c.Succeed(b.TrialId).Transitioned);
        Assert.Equal(2, c.Fleet.TrialSuccesses);
        var e = c.Admit(); // A's process
        Assert.True(e.Admitted);
        Assert.False(c.Admit().Admitted);

        var closing = c.Succeed(d.TrialId);
        Assert.Equal((CircuitState.HalfOpen, CircuitState.Closed), (closing.From, closing.To));
        Assert.False(c.Succeed(e.TrialId).Transitioned); // a success of a closed circuit
        Assert.Equal(CircuitState.Closed, c.State);
    }

    [Fact]
    public void AnExpiredLease_FreesItsPermit_AndItsLateReportDoesNotFreeAnother()
    {
        var c = new RuleCircuit(CircuitPolicy.Consecutive(1, TimeSpan.FromSeconds(10), successThreshold: 2, trialLeaseTtl: TimeSpan.FromSeconds(5)));
        c.Fail();
        c.Advance(10_000);
        var a = c.Admit();
        Assert.True(a.Admitted);

        var refused = c.Admit();
        Assert.False(refused.Admitted);
        Assert.Equal(c.NowMs + 5_000, refused.RetryAtMs);
        c.Advance(4_999);
        Assert.False(c.Admit().Admitted);

        c.Advance(1); // A's process died: its lease expired
        var b = c.Admit();
        Assert.True(b.Admitted);
        Assert.Equal([b.TrialId!.Value], c.Fleet.Trials.Select(t => t.Id));

        // A reports after all: abandoning frees nothing (B's permit stays); a success still counts.
        var before = RuleCircuit.Text(c.Row);
        c.Abandon(a.TrialId);
        Assert.Equal(before, RuleCircuit.Text(c.Row));
        Assert.False(c.Succeed(a.TrialId).Transitioned);
        Assert.Equal(1, c.Fleet.TrialSuccesses);
        Assert.Equal([b.TrialId.Value], c.Fleet.Trials.Select(t => t.Id));
        Assert.False(c.Admit().Admitted);

        Assert.True(c.Succeed(b.TrialId).Transitioned);
        Assert.Equal(CircuitState.Closed, c.State);
    }

    [Fact]
    public void AnAbandonedTrial_FreesItsPermit_AndCountsNothing()
    {
        var c = new RuleCircuit(CircuitPolicy.Consecutive(1, TimeSpan.FromSeconds(1)));
        c.Fail();
        c.Advance(1_000);
        var a = c.Admit();
        Assert.False(c.Admit().Admitted);

        var abandoned = c.Abandon(a.TrialId);
        Assert.False(abandoned.Transitioned);
        Assert.Equal(CircuitState.HalfOpen, c.State);
        Assert.Empty(c.Fleet.Trials);
        Assert.Equal(0, c.Fleet.TrialSuccesses);
        Assert.True(c.Admit().Admitted);
    }

    [Fact]
    public void AnyFailureWhileHalfOpen_Reopens_AndLateResultsOfAnOpenCircuitOnlyFreeTheirLeases()
    {
        var c = new RuleCircuit(CircuitPolicy.Consecutive(1, TimeSpan.FromSeconds(1)));
        c.Fail();
        c.Advance(1_000);
        var trial = c.Admit();

        // A call admitted before the circuit opened fails now: as in Polly, the half-open circuit re-opens. The trial
        // still runs, and keeps its lease.
        var late = c.Fail();
        Assert.Equal((CircuitState.HalfOpen, CircuitState.Open), (late.From, late.To));
        Assert.Equal(trial.TrialId, Assert.Single(c.Fleet.Trials).Id);

        // The trial ends while open: the failure is recorded and its lease freed, nothing else.
        c.Advance(3);
        var lateTrial = c.Fail(trial.TrialId);
        Assert.False(lateTrial.Transitioned);
        Assert.Empty(c.Fleet.Trials);
        Assert.Equal(c.NowMs, c.Row!.LastFailureMs);
        Assert.Equal(c.NowMs - 3 + 1_000, c.Fleet.OpenUntilMs);
        var before = RuleCircuit.Text(c.Row);
        Assert.False(c.Succeed(trial.TrialId).Transitioned);
        Assert.Equal(before, RuleCircuit.Text(c.Row));
    }

    [Fact]
    public void Isolation_RejectsForGood_UntilClosedByHand_AndCloseStartsEverythingAgain()
    {
        var c = new RuleCircuit(CircuitPolicy.Consecutive(2, TimeSpan.FromSeconds(1)));
        c.Fail();
        var isolated = c.Isolate();
        Assert.Equal((CircuitState.Closed, CircuitState.Open), (isolated.From, isolated.To));
        Assert.True(isolated.IsIsolated);
        Assert.Equal(CircuitState.Open, c.State);
        Assert.True(c.Fleet.Isolated);

        c.Advance(TimeSpan.FromDays(1).Ticks / TimeSpan.TicksPerMillisecond);
        var rejected = c.Admit();
        Assert.False(rejected.Admitted);
        Assert.True(rejected.IsIsolated);
        Assert.Equal(long.MaxValue, rejected.RetryAtMs);

        Assert.False(c.Succeed().Transitioned);
        Assert.False(c.Fail().Transitioned);
        Assert.True(c.Fleet.Isolated);
        Assert.Equal(c.NowMs, c.Row!.LastFailureMs);

        var again = c.Isolate();
        Assert.False(again.Transitioned);

        var closed = c.Close();
        Assert.Equal((CircuitState.Open, CircuitState.Closed), (closed.From, closed.To));
        Assert.False(closed.IsIsolated);
        Assert.Equal(CircuitState.Closed, c.State);
        Assert.Equal(0, c.Row.FailureCount);
        Assert.Equal("f1;s=c", c.Row.Fleet);
        Assert.True(c.Admit().Admitted);
        Assert.False(c.Fail().Opened); // the count started again
    }

    [Fact]
    public void IsolatingAHalfOpenCircuit_TakesTheTrialsLeases_AndCloseForgetsTheReopens()
    {
        var c = new RuleCircuit(CircuitPolicy.Consecutive(1, TimeSpan.FromSeconds(1)));
        c.Fail();
        c.Advance(1_000);
        c.Fail(c.Admit().TrialId);
        c.Advance(1_000);
        var trial = c.Admit();
        Assert.Equal(2, trial.ReopenCount);

        var isolated = c.Isolate();
        Assert.Equal((CircuitState.HalfOpen, CircuitState.Open), (isolated.From, isolated.To));
        Assert.Empty(c.Fleet.Trials);
        Assert.False(c.Succeed(trial.TrialId).Transitioned);
        Assert.True(c.Fleet.Isolated);
        Assert.Equal(2, c.Fleet.ReopenCount);

        Assert.False(c.Close().IsIsolated);
        Assert.Equal(0, c.Fail().ReopenCount);

        // Closing a closed circuit reports no transition (and still starts the counts again).
        c.Close();
        Assert.False(c.Close().Transitioned);
    }

    [Fact]
    public void Ratio_BucketsAndOpensAsPollyDoes()
    {
        // Sampling 1 s: ten buckets of 100 ms, each starting at the first outcome after the previous one ended.
        var c = new RuleCircuit(CircuitPolicy.Ratio(0.5, TimeSpan.FromSeconds(1), 4, TimeSpan.FromSeconds(5)), nowMs: 0);
        c.Succeed();
        c.NowMs = 99;
        c.Fail();
        c.NowMs = 100;
        c.Fail();
        c.NowMs = 999;
        c.Succeed();
        Assert.Equal("f1;s=c;w=0:1:1,100:0:1,999:1:0", c.Row!.Fleet);
        Assert.Equal(0, c.Row.FailureCount); // consecutive failures since the last success

        // At 1000 ms the first bucket has lived a whole sampling duration: 3 calls remain, too few.
        c.NowMs = 1_000;
        var notYet = c.Fail();
        Assert.False(notYet.Opened);
        Assert.Equal(2, notYet.FailureCount);
        Assert.Equal(2 / 3.0, notYet.FailureRate);
        Assert.Equal("f1;s=c;w=100:0:1,999:1:1", c.Row.Fleet);

        c.NowMs = 1_001;
        var opened = c.Fail();
        Assert.True(opened.Opened);
        Assert.Equal(3, opened.FailureCount);
        Assert.Equal(0.75, opened.FailureRate);
        Assert.Equal(2, c.Row.FailureCount);
        Assert.Equal(6_001, c.Fleet.OpenUntilMs);
        Assert.Empty(c.Fleet.Buckets);

        c.NowMs = 6_001;
        c.Succeed(c.Admit().TrialId);
        Assert.Equal("f1;s=c;n=6002", c.Row.Fleet); // the window starts again
    }

    [Fact]
    public void Ratio_TheMinimumThroughputHoldsEvenForAllFailures()
    {
        var c = new RuleCircuit(CircuitPolicy.Ratio(0.1, TimeSpan.FromSeconds(10), 3, s_break));
        Assert.False(c.Fail().Opened);
        Assert.False(c.Fail().Opened);
        Assert.True(c.Fail().Opened);
    }

    [Fact]
    public void AGarbageFleetText_CountsAsFresh_AndTheColumnsStillDecide()
    {
        var c = new RuleCircuit(CircuitPolicy.Consecutive(3, s_break));
        c.Row = new CircuitRow { State = CircuitState.Closed, FailureCount = 2, LastFailureMs = c.NowMs - 5, Fleet = "garbage;s=o" };
        Assert.True(c.Admit().Admitted);
        Assert.True(c.Fail().Opened);
        Assert.StartsWith("f1;s=o;", c.Row!.Fleet, StringComparison.Ordinal);

        c.Row = new CircuitRow { State = CircuitState.Open, FailureCount = 3, LastFailureMs = c.NowMs - 1_000, Fleet = "\0\u00ff{" };
        var rejected = c.Admit();
        Assert.False(rejected.Admitted);
        Assert.Equal(c.NowMs - 1_000 + 30_000, rejected.RetryAtMs);
    }

    [Fact]
    public void ARowWrittenByTheContractApi_ReadsAsTheContractApiDescribesIt()
    {
        var policy = CircuitPolicy.Consecutive(5, s_break);

        // Open since its last failure: rejected until the break has passed since then, then one trial.
        var open = new RuleCircuit(policy);
        open.Row = new CircuitRow { State = CircuitState.Open, FailureCount = 5, LastFailureMs = open.NowMs - 10_000 };
        Assert.Equal(open.NowMs + 20_000, open.Admit().RetryAtMs);
        open.Advance(20_000);
        var trial = open.Admit();
        Assert.True(trial.Admitted);
        Assert.Equal((CircuitState.Open, CircuitState.HalfOpen), (trial.From, trial.To));
        Assert.True(open.Succeed(trial.TrialId).Transitioned);
        Assert.Equal(CircuitState.Closed, open.State);
        Assert.Equal(0, open.Row!.FailureCount);

        // Open without a failure time: tried at once.
        var untimed = new RuleCircuit(policy) { Row = new CircuitRow { State = CircuitState.Open, FailureCount = 0 } };
        Assert.True(untimed.Admit().Admitted);

        // Half-open: one trial, across callers.
        var halfOpen = new RuleCircuit(policy) { Row = new CircuitRow { State = CircuitState.HalfOpen, FailureCount = 5 } };
        var first = halfOpen.Admit();
        Assert.True(first.Admitted);
        Assert.False(first.Transitioned);
        Assert.False(halfOpen.Admit().Admitted);

        // Closed with failures counted: they count on.
        var closed = new RuleCircuit(policy) { Row = new CircuitRow { State = CircuitState.Closed, FailureCount = 4 } };
        Assert.True(closed.Fail().Opened);
    }

    [Fact]
    public void AFleetTextWrittenWithAnotherState_GivesWayToTheRowsState()
    {
        // The contract API closed the row since the fleet text was written (open, re-opened twice).
        var c = new RuleCircuit(CircuitPolicy.Consecutive(1, s_break));
        c.Row = new CircuitRow
        {
            State = CircuitState.Closed,
            FailureCount = 0,
            Fleet = $"f1;s=o;r=2;o={c.NowMs};u={c.NowMs + 1_000_000};n=77",
        };
        Assert.True(c.Admit().Admitted);
        var failed = c.Fail();
        Assert.Equal(0, failed.ReopenCount);
        Assert.True(failed.Opened);
        Assert.Equal(77, c.Fleet.NextTrialId); // trial ids keep growing
        Assert.Equal(c.NowMs + 30_000, c.Fleet.OpenUntilMs);
    }

    [Fact]
    public void TheClockGoingBack_KeepsTheBreaksLength_AndALeasesLife()
    {
        var c = new RuleCircuit(CircuitPolicy.Consecutive(1, s_break, trialLeaseTtl: TimeSpan.FromSeconds(10)));
        c.Fail();
        c.Advance(-3_600_000); // an hour back

        var rejected = c.Admit();
        Assert.False(rejected.Admitted);
        Assert.Equal(c.NowMs + 30_000, rejected.RetryAtMs);
        Assert.Equal(c.NowMs, c.Fleet.OpenedAtMs); // stored, so the break does not start again at every call
        c.Advance(29_999);
        Assert.False(c.Admit().Admitted);
        c.Advance(1);
        var trial = c.Admit();
        Assert.True(trial.Admitted);

        c.Advance(-3_600_000);
        var busy = c.Admit();
        Assert.False(busy.Admitted);
        Assert.Equal(c.NowMs + 10_000, busy.RetryAtMs);
        c.Advance(9_999);
        Assert.False(c.Admit().Admitted);
        c.Advance(1);
        Assert.True(c.Admit().Admitted);
    }

    [Fact]
    public void TheClockGoingBack_StopsTheWindowsTime_UntilItMovesOn()
    {
        var c = new RuleCircuit(CircuitPolicy.Ratio(0.5, TimeSpan.FromSeconds(10), 4, s_break), nowMs: 1_000_000);
        c.Succeed();
        c.Fail();
        c.Advance(-600_000);

        // The buckets from before the step still count (3 calls), then a fourth opens it.
        Assert.False(c.Fail().Opened);
        Assert.Equal("f1;s=c;w=400000:1:2", c.Row!.Fleet);
        Assert.True(c.Fail().Opened);

        // And they expire a sampling duration after the step.
        var d = new RuleCircuit(CircuitPolicy.Ratio(0.5, TimeSpan.FromSeconds(10), 2, s_break), nowMs: 1_000_000);
        d.Fail();
        d.Advance(-600_000);
        d.Succeed();
        d.Advance(10_000);
        var alone = d.Fail();
        Assert.False(alone.Opened);
        Assert.Equal(1, alone.FailureCount);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(20261205)]
    public void RandomCallers_NeverHoldMoreLeasesThanPermitted_AndCloseOnlyAtTheFleetsThreshold(int seed)
    {
        var random = new Random(seed);
        var maxTrials = random.Next(1, 4);
        var threshold = random.Next(1, 4);
        var c = new RuleCircuit(CircuitPolicy.Consecutive(2, TimeSpan.FromSeconds(1), threshold, maxTrials, TimeSpan.FromMilliseconds(random.Next(1, 3_000))));
        var held = new (bool Busy, long? Trial)[4];
        var closes = 0;
        for (var step = 0; step < 3_000; step++)
        {
            var caller = random.Next(held.Length);
            var before = c.Fleet;
            var stateBefore = c.State;
            if (random.Next(4) == 0)
            {
                c.Advance(random.Next(0, 1_500));
            }
            else if (!held[caller].Busy)
            {
                var unexpired = before.Trials.Count(t => t.ExpiresAtMs > c.NowMs);
                var admission = c.Admit();
                if (admission.TrialId is not null)
                {
                    Assert.True(unexpired < maxTrials, $"step {step}: a trial beyond the permits");
                }

                held[caller] = (admission.Admitted, admission.TrialId);
            }
            else
            {
                CircuitFleetRule end = random.Next(3) switch
                {
                    0 => c.Succeed(held[caller].Trial),
                    1 => c.Fail(held[caller].Trial),
                    _ => c.Abandon(held[caller].Trial),
                };
                if (end is CircuitSucceedRule { Transitioned: true })
                {
                    Assert.Equal(CircuitState.HalfOpen, stateBefore);
                    Assert.Equal(threshold - 1, before.TrialSuccesses);
                    closes++;
                }

                held[caller] = default;
            }

            var fleet = c.Fleet;
            Assert.True(fleet.Trials.Count <= maxTrials, $"step {step}: {fleet.Trials.Count} leases");
            Assert.Equal(fleet.Trials.Count, fleet.Trials.Select(t => t.Id).Distinct().Count());
            Assert.All(fleet.Trials, t => Assert.Contains(held, h => h.Trial == t.Id));
            Assert.True(c.State != CircuitState.Closed || fleet.Trials.Count == 0);
            Assert.True(!fleet.Isolated || fleet.Trials.Count == 0);
        }

        Assert.True(closes > 0, "no half-open circuit ever closed");
    }
}
