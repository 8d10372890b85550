using System.Globalization;
using System.Text;

namespace NativeAotPersistence;

/// <summary>A half-open trial in flight: its permit is held until the call ends or <see cref="ExpiresAtMs"/> passes.</summary>
/// <param name="id">The trial's id, unique within the circuit's row.</param>
/// <param name="expiresAtMs">When the permit frees itself if the call never reports (Unix ms).</param>
internal sealed class CircuitTrialLease(long id, long expiresAtMs)
{
    /// <summary>Gets the lease's id.</summary>
    public long Id { get; } = id;

    /// <summary>Gets when the lease frees its permit (Unix ms).</summary>
    public long ExpiresAtMs { get; } = expiresAtMs;
}

/// <summary>One bucket of the failure-ratio window (Polly v8's rolling health metrics).</summary>
/// <param name="startMs">When the bucket started: the time of the first outcome it counted (Unix ms).</param>
/// <param name="successes">The successes it counted.</param>
/// <param name="failures">The failures it counted.</param>
internal sealed class CircuitWindowBucket(long startMs, int successes, int failures)
{
    /// <summary>Gets when the bucket started (Unix ms).</summary>
    public long StartMs { get; } = startMs;

    /// <summary>Gets the successes it counted.</summary>
    public int Successes { get; } = successes;

    /// <summary>Gets the failures it counted.</summary>
    public int Failures { get; } = failures;
}

/// <summary>
/// The fleet state of one circuit, as the library keeps it in <see cref="CircuitRow.Fleet"/>: a compact, versioned
/// text that only the library's rules read and write. Mutable: a rule parses it, changes it and formats it again.
/// </summary>
/// <remarks>
/// <para>
/// The text is <c>f1</c> followed by <c>;key=value</c> fields, each left out when it holds its default:
/// <c>s</c> the state the text was written with (<c>c</c> closed, <c>o</c> open, <c>h</c> half-open, <c>i</c>
/// isolated; always present), <c>r</c> the re-open count, <c>o</c> when it opened, <c>u</c> until when it stays open
/// (left out when never), <c>k</c> the trial successes, <c>n</c> the next trial id, <c>t</c> the trial leases
/// (<c>id@expiresAt</c>, comma-separated) and <c>w</c> the window's buckets (<c>start:successes:failures</c>,
/// comma-separated, oldest first). Times are Unix milliseconds. For example
/// <c>f1;s=h;r=1;o=1764000000000;u=1764000005000;n=1764000005001;t=1764000005000@1764000035000</c>.
/// </para>
/// <para>
/// Reading never throws: a text that is not this format (another version, a damaged or foreign text, numbers out of
/// range, more entries than a rule ever writes) reads as <see langword="false"/> from <see cref="TryParse"/>, and the
/// rules then start from the row's columns alone. Fields of an unknown key are skipped, so a later <c>f1</c> may add
/// optional fields (a rule rewriting the text drops them).
/// </para>
/// </remarks>
internal sealed class CircuitFleetState
{
    /// <summary>The format's version prefix.</summary>
    public const string Version = "f1";

    /// <summary>The most trial leases a text may hold.</summary>
    public const int MaxTrials = 65_536;

    /// <summary>The most window buckets a text may hold (the rules keep at most 11).</summary>
    public const int MaxBuckets = 1_024;

    /// <summary>Gets or sets the state the text was written with (an isolated circuit is <see cref="CircuitState.Open"/>).</summary>
    public CircuitState State { get; set; }

    /// <summary>Gets or sets a value indicating whether the circuit is isolated (held open by hand until closed by hand).</summary>
    public bool Isolated { get; set; }

    /// <summary>Gets or sets the openings since the circuit was last closed (Polly's half-open attempts).</summary>
    public int ReopenCount { get; set; }

    /// <summary>Gets or sets when the circuit last opened (Unix ms); 0 when it is not open.</summary>
    public long OpenedAtMs { get; set; }

    /// <summary>Gets or sets until when an open circuit rejects calls (Unix ms); <see cref="long.MaxValue"/> for never.</summary>
    public long OpenUntilMs { get; set; } = long.MaxValue;

    /// <summary>Gets or sets the successes counted since the circuit went half-open, by every caller.</summary>
    public int TrialSuccesses { get; set; }

    /// <summary>
    /// The largest trial id a text may hold. Ids start from the clock (Unix ms, far below it) and grow by one per trial;
    /// a text with a larger one (damaged) does not read, so ids never pin at <see cref="long.MaxValue"/> and repeat.
    /// </summary>
    public const long MaxTrialId = 1L << 53;

    /// <summary>
    /// How every isolated circuit's text starts. The contract API's writers (<see cref="ICircuitBreakerStateProvider.RecordSuccessAsync"/>,
    /// and <see cref="ICircuitBreakerStateProvider.SetStateAsync"/> to half-open) leave a row whose text starts so as it
    /// is: the per-process rules of a breaker over another provider never end an isolation made by hand.
    /// </summary>
    public const string IsolatedPrefix = "f1;s=i";

    /// <summary>Gets or sets the id the next trial gets at least (ids only grow within a row).</summary>
    public long NextTrialId { get; set; }

    /// <summary>Gets the half-open trials in flight.</summary>
    public List<CircuitTrialLease> Trials { get; } = [];

    /// <summary>Gets the failure-ratio window's buckets, oldest first.</summary>
    public List<CircuitWindowBucket> Buckets { get; } = [];

    /// <summary>A fresh state: closed, nothing counted.</summary>
    /// <returns>The state.</returns>
    public static CircuitFleetState Fresh() => new();

    /// <summary>Reads a fleet text; never throws.</summary>
    /// <param name="text">The stored text, or <see langword="null"/>.</param>
    /// <param name="state">The state read, or a fresh one when the text is not this format.</param>
    /// <returns>Whether the text was this format.</returns>
    public static bool TryParse(string? text, out CircuitFleetState state)
    {
        state = new CircuitFleetState();
        if (text is not null && TryRead(text.AsSpan(), state))
        {
            return true;
        }

        state = new CircuitFleetState();
        return false;
    }

    /// <summary>Writes the fleet text.</summary>
    /// <returns>The text.</returns>
    public string Format()
    {
        var text = new StringBuilder(64 + (Trials.Count * 28) + (Buckets.Count * 24));
        text.Append(Version).Append(";s=").Append(Isolated ? 'i' : State switch
        {
            CircuitState.Open => 'o',
            CircuitState.HalfOpen => 'h',
            _ => 'c',
        });
        Field(text, 'r', ReopenCount, 0);
        Field(text, 'o', OpenedAtMs, 0);
        Field(text, 'u', OpenUntilMs, long.MaxValue);
        Field(text, 'k', TrialSuccesses, 0);
        Field(text, 'n', NextTrialId, 0);
        for (var i = 0; i < Trials.Count; i++)
        {
            text.Append(i == 0 ? ";t=" : ",");
            Number(text, Trials[i].Id).Append('@');
            Number(text, Trials[i].ExpiresAtMs);
        }

        for (var i = 0; i < Buckets.Count; i++)
        {
            text.Append(i == 0 ? ";w=" : ",");
            Number(text, Buckets[i].StartMs).Append(':');
            Number(text, Buckets[i].Successes).Append(':');
            Number(text, Buckets[i].Failures);
        }

        return text.ToString();
    }

    private static bool TryRead(ReadOnlySpan<char> text, CircuitFleetState state)
    {
        if (!text.StartsWith(Version, StringComparison.Ordinal) || text.Length == Version.Length || text[Version.Length] != ';')
        {
            return false;
        }

        var fields = text[(Version.Length + 1)..];
        var seen = 0;
        var sawState = false;
        foreach (var range in fields.Split(';'))
        {
            var field = fields[range];
            if (field.Length < 2 || field[1] != '=')
            {
                return false;
            }

            var key = field[0];
            var value = field[2..];
            var bit = key is >= 'a' and <= 'z' ? 1 << (key - 'a') : 0;
            if ((seen & bit) != 0)
            {
                return false;
            }

            seen |= bit;
            switch (key)
            {
                case 's':
                    if (!TryState(value, state))
                    {
                        return false;
                    }

                    sawState = true;
                    break;
                case 'r':
                    if (!TryCount(value, out var reopens))
                    {
                        return false;
                    }

                    state.ReopenCount = reopens;
                    break;
                case 'o':
                    if (!TryLong(value, out var openedAt))
                    {
                        return false;
                    }

                    state.OpenedAtMs = openedAt;
                    break;
                case 'u':
                    if (!TryLong(value, out var openUntil))
                    {
                        return false;
                    }

                    state.OpenUntilMs = openUntil;
                    break;
                case 'k':
                    if (!TryCount(value, out var successes))
                    {
                        return false;
                    }

                    state.TrialSuccesses = successes;
                    break;
                case 'n':
                    if (!TryLong(value, out var next) || next is < 0 or > MaxTrialId)
                    {
                        return false;
                    }

                    state.NextTrialId = next;
                    break;
                case 't':
                    if (!TryTrials(value, state.Trials))
                    {
                        return false;
                    }

                    break;
                case 'w':
                    if (!TryBuckets(value, state.Buckets))
                    {
                        return false;
                    }

                    break;
                default:
                    // A field a later writer of this version added: skipped.
                    break;
            }
        }

        return sawState;
    }

    private static bool TryState(ReadOnlySpan<char> value, CircuitFleetState state)
    {
        if (value.Length != 1)
        {
            return false;
        }

        switch (value[0])
        {
            case 'c':
                state.State = CircuitState.Closed;
                return true;
            case 'o':
                state.State = CircuitState.Open;
                return true;
            case 'h':
                state.State = CircuitState.HalfOpen;
                return true;
            case 'i':
                state.State = CircuitState.Open;
                state.Isolated = true;
                return true;
            default:
                return false;
        }
    }

    private static bool TryTrials(ReadOnlySpan<char> value, List<CircuitTrialLease> trials)
    {
        foreach (var range in value.Split(','))
        {
            var entry = value[range];
            var at = entry.IndexOf('@');
            if (at < 0 || trials.Count == MaxTrials
                || !TryLong(entry[..at], out var id) || id is <= 0 or > MaxTrialId
                || !TryLong(entry[(at + 1)..], out var expiresAt))
            {
                return false;
            }

            trials.Add(new CircuitTrialLease(id, expiresAt));
        }

        return true;
    }

    private static bool TryBuckets(ReadOnlySpan<char> value, List<CircuitWindowBucket> buckets)
    {
        foreach (var range in value.Split(','))
        {
            var entry = value[range];
            var first = entry.IndexOf(':');
            if (first < 0 || buckets.Count == MaxBuckets || !TryLong(entry[..first], out var start))
            {
                return false;
            }

            var rest = entry[(first + 1)..];
            var second = rest.IndexOf(':');
            if (second < 0 || !TryCount(rest[..second], out var successes) || !TryCount(rest[(second + 1)..], out var failures))
            {
                return false;
            }

            buckets.Add(new CircuitWindowBucket(start, successes, failures));
        }

        return true;
    }

    private static bool TryLong(ReadOnlySpan<char> value, out long number) =>
        long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out number);

    private static bool TryCount(ReadOnlySpan<char> value, out int number) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out number);

    private static void Field(StringBuilder text, char key, long value, long absent)
    {
        if (value != absent)
        {
            Number(text.Append(';').Append(key).Append('='), value);
        }
    }

    private static StringBuilder Number(StringBuilder text, long value)
    {
        Span<char> digits = stackalloc char[20];
        value.TryFormat(digits, out var written, provider: CultureInfo.InvariantCulture);
        return text.Append(digits[..written]);
    }
}
