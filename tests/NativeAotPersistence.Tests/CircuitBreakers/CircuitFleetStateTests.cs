namespace NativeAotPersistence.Tests.CircuitBreakers;

/// <summary>The fleet text of a circuit's row: what it holds, and that reading it never throws.</summary>
public sealed class CircuitFleetStateTests
{
    [Fact]
    public void AFreshState_IsClosedWithNothingCounted()
    {
        var fresh = CircuitFleetState.Fresh();
        Assert.Equal("f1;s=c", fresh.Format());
        Assert.True(CircuitFleetState.TryParse("f1;s=c", out var read));
        Assert.Equal(CircuitState.Closed, read.State);
        Assert.False(read.Isolated);
        Assert.Equal(0, read.ReopenCount);
        Assert.Equal(long.MaxValue, read.OpenUntilMs);
        Assert.Empty(read.Trials);
        Assert.Empty(read.Buckets);
    }

    [Fact]
    public void EveryField_SurvivesFormatAndParse()
    {
        var state = CircuitFleetState.Fresh();
        state.State = CircuitState.HalfOpen;
        state.ReopenCount = 3;
        state.OpenedAtMs = 1_764_000_000_000;
        state.OpenUntilMs = 1_764_000_005_000;
        state.TrialSuccesses = 2;
        state.NextTrialId = 1_764_000_005_002;
        state.Trials.Add(new CircuitTrialLease(1_764_000_005_000, 1_764_000_035_000));
        state.Trials.Add(new CircuitTrialLease(1_764_000_005_001, -7));
        state.Buckets.Add(new CircuitWindowBucket(-5, 0, 4));
        state.Buckets.Add(new CircuitWindowBucket(1_764_000_000_100, int.MaxValue, 0));

        var text = state.Format();
        Assert.Equal(
            "f1;s=h;r=3;o=1764000000000;u=1764000005000;k=2;n=1764000005002;t=1764000005000@1764000035000,1764000005001@-7;w=-5:0:4,1764000000100:2147483647:0",
            text);
        Assert.True(CircuitFleetState.TryParse(text, out var read));
        Assert.Equal(CircuitState.HalfOpen, read.State);
        Assert.Equal(3, read.ReopenCount);
        Assert.Equal(1_764_000_000_000, read.OpenedAtMs);
        Assert.Equal(1_764_000_005_000, read.OpenUntilMs);
        Assert.Equal(2, read.TrialSuccesses);
        Assert.Equal(1_764_000_005_002, read.NextTrialId);
        Assert.Equal(state.Trials.Select(t => (t.Id, t.ExpiresAtMs)), read.Trials.Select(t => (t.Id, t.ExpiresAtMs)));
        Assert.Equal(state.Buckets.Select(b => (b.StartMs, b.Successes, b.Failures)), read.Buckets.Select(b => (b.StartMs, b.Successes, b.Failures)));
        Assert.Equal(text, read.Format());
    }

    [Fact]
    public void Isolation_IsAnOpenStateThatNeverEnds()
    {
        var state = CircuitFleetState.Fresh();
        state.State = CircuitState.Open;
        state.Isolated = true;
        state.OpenedAtMs = 10;
        Assert.Equal("f1;s=i;o=10", state.Format());

        Assert.True(CircuitFleetState.TryParse("f1;s=i;o=10", out var read));
        Assert.Equal(CircuitState.Open, read.State);
        Assert.True(read.Isolated);
        Assert.Equal(long.MaxValue, read.OpenUntilMs);
    }

    [Fact]
    public void FieldsOfAnUnknownKey_AreSkipped()
    {
        Assert.True(CircuitFleetState.TryParse("f1;z=anything at all;s=o;o=5;u=10;x=", out var read));
        Assert.Equal(CircuitState.Open, read.State);
        Assert.Equal(10, read.OpenUntilMs);
        Assert.Equal("f1;s=o;o=5;u=10", read.Format());
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("f1")]
    [InlineData("f1;")]
    [InlineData("f1;;s=c")]
    [InlineData("f1;s=c;")]
    [InlineData("F1;s=c")]
    [InlineData(" f1;s=c")]
    [InlineData("f2;s=c")]
    [InlineData("f1x;s=c")]
    [InlineData("f1;r=1")]
    [InlineData("f1;s=x")]
    [InlineData("f1;s=cc")]
    [InlineData("f1;s=c;s=o")]
    [InlineData("f1;s=c;r=-1")]
    [InlineData("f1;s=c;r=+1")]
    [InlineData("f1;s=c;r= 1")]
    [InlineData("f1;s=c;r=99999999999")]
    [InlineData("f1;s=c;u=99999999999999999999")]
    [InlineData("f1;s=c;n=-1")]
    [InlineData("f1;s=c;n=9223372036854775807")]
    [InlineData("f1;s=c;n=9007199254740993")]
    [InlineData("f1;s=h;t=9223372036854775807@5")]
    [InlineData("f1;s=c;o=1.5")]
    [InlineData("f1;s=h;t=")]
    [InlineData("f1;s=h;t=1@")]
    [InlineData("f1;s=h;t=@5")]
    [InlineData("f1;s=h;t=0@5")]
    [InlineData("f1;s=h;t=1@5,")]
    [InlineData("f1;s=h;t=1:5")]
    [InlineData("f1;s=c;w=1:2")]
    [InlineData("f1;s=c;w=1:2:3:4")]
    [InlineData("f1;s=c;w=1:-2:3")]
    [InlineData("f1;s=c;w=1:2:3,,")]
    [InlineData("f1;s")]
    [InlineData("f1;s:c")]
    [InlineData("{\"state\":\"closed\"}")]
    [InlineData("closed")]
    public void AnythingElse_ReadsAsAFreshState(string? text)
    {
        Assert.False(CircuitFleetState.TryParse(text, out var read));
        Assert.Equal("f1;s=c", read.Format());
        Assert.Empty(read.Trials);
        Assert.Empty(read.Buckets);
    }

    [Fact]
    public void TooManyEntries_ReadAsAFreshState()
    {
        var buckets = string.Join(",", Enumerable.Range(0, CircuitFleetState.MaxBuckets + 1).Select(i => $"{i}:1:1"));
        Assert.False(CircuitFleetState.TryParse("f1;s=c;w=" + buckets, out _));

        var trials = string.Join(",", Enumerable.Range(1, CircuitFleetState.MaxTrials + 1).Select(i => $"{i}@1"));
        Assert.False(CircuitFleetState.TryParse("f1;s=h;t=" + trials, out _));
    }

    [Fact]
    public void DamagedTexts_NeverThrow()
    {
        const string Valid = "f1;s=h;r=3;o=1764000000000;u=1764000005000;k=2;n=1764000005002;t=1764000005000@1764000035000;w=-5:0:4,1764000000100:7:0";
        const string Alphabet = "f1;=,:@-0123456789shoickrunwtz \0é";
        var random = new Random(20261205);
        var parsed = 0;
        for (var i = 0; i < 20_000; i++)
        {
            var text = new System.Text.StringBuilder(Valid);
            for (var edits = random.Next(1, 4); edits > 0; edits--)
            {
                var at = random.Next(text.Length + 1);
                switch (random.Next(3))
                {
                    case 0 when at < text.Length:
                        text.Remove(at, 1);
                        break;
                    case 1 when at < text.Length:
                        text[at] = Alphabet[random.Next(Alphabet.Length)];
                        break;
                    default:
                        text.Insert(at, Alphabet[random.Next(Alphabet.Length)]);
                        break;
                }
            }

            if (CircuitFleetState.TryParse(text.ToString(), out var read))
            {
                parsed++;

                // What reads, writes back as text that reads the same.
                Assert.True(CircuitFleetState.TryParse(read.Format(), out var again));
                Assert.Equal(read.Format(), again.Format());
            }
            else
            {
                Assert.Equal("f1;s=c", read.Format());
            }
        }

        Assert.InRange(parsed, 1, 19_999);
    }
}
