namespace NativeAotPersistence.Tests.CircuitBreakers;

/// <summary>
/// One circuit's row held in a variable, and the fleet rules applied to it as a store would (the row it read, the
/// store's clock). Every rule is applied twice to the same row, as a store that retries its transaction does: both
/// runs must decide the same, outputs and row alike. Several "processes" are just several callers of one instance.
/// </summary>
internal sealed class RuleCircuit
{
    public RuleCircuit(CircuitPolicy policy, long nowMs = 1_764_000_000_000)
    {
        Policy = policy;
        NowMs = nowMs;
    }

    public CircuitPolicy Policy { get; }

    public CircuitRow? Row { get; set; }

    public long NowMs { get; set; }

    public CircuitState State => Row?.State ?? CircuitState.Closed;

    /// <summary>The fleet state as stored (a fresh one when there is none, or it does not read).</summary>
    public CircuitFleetState Fleet
    {
        get
        {
            _ = CircuitFleetState.TryParse(Row?.Fleet, out var fleet);
            return fleet;
        }
    }

    public void Advance(long ms) => NowMs += ms;

    public T Run<T>(T rule)
        where T : CircuitFleetRule
    {
        var first = rule.Apply(Row, NowMs);
        var outputs = Outputs(rule);
        var second = rule.Apply(Row, NowMs);
        Assert.Equal(outputs, Outputs(rule));
        Assert.Equal(Text(first), Text(second));
        if (first is not null)
        {
            Row = first;
        }

        return rule;
    }

    public CircuitAdmitRule Admit() => Run(new CircuitAdmitRule(Policy));

    public CircuitSucceedRule Succeed(long? trialId = null) => Run(new CircuitSucceedRule(Policy, trialId));

    public CircuitFailRule Fail(long? trialId = null, long? breakMs = null, int? expectedReopenCount = null) =>
        Run(new CircuitFailRule(Policy, trialId, breakMs ?? Policy.BreakMs, expectedReopenCount));

    public CircuitAbandonRule Abandon(long? trialId) => Run(new CircuitAbandonRule(Policy, trialId));

    public CircuitIsolateRule Isolate() => Run(new CircuitIsolateRule(Policy));

    public CircuitCloseRule Close() => Run(new CircuitCloseRule(Policy));

    public static string Text(CircuitRow? row) =>
        row is null ? "(none)" : $"{row.State} {row.FailureCount} {row.LastFailureMs} {row.LastSuccessMs} {row.Fleet}";

    private static string Outputs(CircuitFleetRule rule)
    {
        var common = $"{rule.Transitioned} {rule.From} {rule.To} {rule.State} {rule.IsIsolated} {rule.ReopenCount} {rule.FailureCount} {rule.FailureRate}";
        return rule switch
        {
            CircuitAdmitRule admit => $"{common} {admit.Admitted} {admit.TrialId} {admit.RetryAtMs}",
            CircuitFailRule fail => $"{common} {fail.Opened} {fail.BreakStale}",
            _ => common,
        };
    }
}
