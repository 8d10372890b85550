using System.Globalization;
using System.Text.Json;
using NativeAotPersistence;

namespace AotConsole;

/// <summary>Everything <c>aotconsole inspect</c> shows, read through the library's inspection API (no SQL here).</summary>
internal sealed record InspectReport(
    string Prefix,
    string? Pattern,
    PersistenceStats Stats,
    IReadOnlyList<string> CacheKeys,
    IReadOnlyList<CircuitSummary> Circuits,
    IReadOnlyList<TaskSummary> Tasks,
    IReadOnlyList<LockInfo> Locks,
    IReadOnlyList<SemaphoreInfo> Semaphores,
    IReadOnlyList<IdempotencyKeySummary> Idempotency,
    DateTimeOffset Now);

/// <summary>Reads an <see cref="InspectReport"/> and prints it as tables or as JSON.</summary>
internal static class Inspector
{
    private const int DefaultListLimit = 10;

    public static async Task<InspectReport> ReadAsync(Store store, string prefix, string? pattern, CancellationToken cancellationToken)
    {
        var admin = store.Admin;
        return new InspectReport(
            prefix,
            pattern,
            await admin.GetStatsAsync(cancellationToken),
            await store.Adapter.Cache.KeysAsync(pattern, cancellationToken),
            await admin.ListCircuitsAsync(cancellationToken),
            await admin.ListTasksAsync(cancellationToken),
            await admin.ListLocksAsync(cancellationToken),
            await admin.ListSemaphoresAsync(cancellationToken),
            await admin.ListIdempotencyKeysAsync(pattern, cancellationToken),
            DateTimeOffset.UtcNow);
    }

    public static void WriteText(InspectReport r, TextWriter o)
    {
        var s = r.Stats;
        o.WriteLine(Invariant($"database     {s.DataSource}"));
        o.WriteLine(Invariant($"schema       version {s.SchemaVersion}, key prefix \"{r.Prefix}\""));
        // PostgreSQL has no pages to report per store: its size is that of the library's tables and their indexes.
        o.WriteLine(s.PageSize == 0
            ? Invariant($"size         {Bytes(s.SizeOnDisk)} in its tables and indexes")
            : Invariant($"size         {Bytes(s.SizeOnDisk)} on disk; {s.PageCount:N0} pages of {s.PageSize:N0} B, {s.FreePages:N0} free"));
        o.WriteLine();
        Table(o, "rows", ["kind", "live", "expired"],
        [
            ["cache", N(s.Cache.Live), N(s.Cache.Expired)],
            ["idempotency", N(s.Idempotency.Live), N(s.Idempotency.Expired)],
            ["locks", N(s.Locks.Live), N(s.Locks.Expired)],
            ["semaphore permits", N(s.Semaphores.Live), N(s.Semaphores.Expired)],
            ["rate limits", N(s.RateLimits.Live), N(s.RateLimits.Expired)],
            ["circuits", N(s.Circuits), ""],
            ["checkpoints", N(s.Checkpoints), ""],
            ["tasks", N(s.Tasks), ""],
        ]);

        var rows = new List<string[]>();
        foreach (var c in r.Circuits)
        {
            rows.Add([c.Key, c.IsIsolated ? "isolated" : ProgressDisplay.Name(c.State.State), N(c.State.FailureCount), Time(c.State.LastFailureTime), Time(c.State.LastSuccessTime), Time(c.UpdatedAt)]);
        }

        Table(o, "circuits", ["key", "state", "failures", "last failure", "last success", "updated"], rows);

        rows = [];
        foreach (var t in r.Tasks)
        {
            rows.Add([t.TaskId, N(t.CheckpointCount), N(t.LatestSequence), Invariant($"{t.Progress}%"), ProgressDisplay.Format(t.EstimatedTimeRemaining), Time(t.LatestTimestamp)]);
        }

        Table(o, "checkpointed tasks", ["task", "checkpoints", "latest seq", "progress", "eta", "saved"], rows);

        rows = [];
        foreach (var l in r.Locks)
        {
            rows.Add([l.Key, l.Owner, Holder(l.Holder), Seconds(l.ExpiresAt - r.Now), N(l.FencingToken)]);
        }

        Table(o, "held locks", ["key", "owner", "process", "expires in", "fencing token"], rows);

        rows = [];
        foreach (var m in r.Semaphores)
        {
            foreach (var h in m.Holders)
            {
                rows.Add([m.Key, Invariant($"{m.Holders.Count}/{m.Permits}"), h.Owner, Holder(h.Holder), Seconds(h.ExpiresAt - r.Now), N(h.FencingToken)]);
            }
        }

        Table(o, "semaphore permits", ["key", "held", "owner", "process", "expires in", "fencing token"], rows);

        // Without a pattern a busy store would print thousands of keys: show the first few and say how to see more.
        var limit = r.Pattern is null ? DefaultListLimit : int.MaxValue;
        rows = [];
        foreach (var k in r.CacheKeys)
        {
            if (rows.Count < limit)
            {
                rows.Add([k]);
            }
        }

        Listing(o, "cache keys", r.Pattern, r.CacheKeys.Count, ["key"], rows);
        rows = [];
        foreach (var i in r.Idempotency)
        {
            if (rows.Count < limit)
            {
                rows.Add([i.Key, Time(i.CreatedAt), i.ExpiresAt is { } e ? Seconds(e - r.Now) : "never", Invariant($"{i.ValueBytes} B")]);
            }
        }

        Listing(o, "idempotency records", r.Pattern, r.Idempotency.Count, ["key", "created", "expires in", "value"], rows);
    }

    public static void WriteJson(InspectReport r, Stream output)
    {
        using var w = new Utf8JsonWriter(output, new JsonWriterOptions { Indented = true });
        var s = r.Stats;
        w.WriteStartObject();
        w.WriteString("dataSource", s.DataSource);
        w.WriteString("keyPrefix", r.Prefix);
        if (r.Pattern is null)
        {
            w.WriteNull("pattern");
        }
        else
        {
            w.WriteString("pattern", r.Pattern);
        }

        w.WriteNumber("schemaVersion", s.SchemaVersion);
        w.WriteNumber("sizeOnDisk", s.SizeOnDisk);
        w.WriteNumber("pageSize", s.PageSize);
        w.WriteNumber("pageCount", s.PageCount);
        w.WriteNumber("freePages", s.FreePages);
        w.WriteStartObject("counts");
        Counts(w, "cache", s.Cache);
        Counts(w, "idempotency", s.Idempotency);
        Counts(w, "locks", s.Locks);
        Counts(w, "semaphorePermits", s.Semaphores);
        Counts(w, "rateLimits", s.RateLimits);
        w.WriteNumber("circuits", s.Circuits);
        w.WriteNumber("checkpoints", s.Checkpoints);
        w.WriteNumber("tasks", s.Tasks);
        w.WriteEndObject();

        w.WriteStartArray("cacheKeys");
        foreach (var key in r.CacheKeys)
        {
            w.WriteStringValue(key);
        }

        w.WriteEndArray();
        w.WriteStartArray("circuits");
        foreach (var c in r.Circuits)
        {
            w.WriteStartObject();
            w.WriteString("key", c.Key);
            w.WriteString("state", ProgressDisplay.Name(c.State.State));
            w.WriteBoolean("isolated", c.IsIsolated);
            w.WriteNumber("failureCount", c.State.FailureCount);
            w.WriteNumber("trialsInFlight", c.TrialsInFlight);
            w.WriteNumber("reopenCount", c.ReopenCount);
            Time(w, "lastFailureTime", c.State.LastFailureTime);
            Time(w, "lastSuccessTime", c.State.LastSuccessTime);
            Time(w, "updatedAt", c.UpdatedAt);
            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteStartArray("tasks");
        foreach (var t in r.Tasks)
        {
            w.WriteStartObject();
            w.WriteString("taskId", t.TaskId);
            w.WriteNumber("checkpointCount", t.CheckpointCount);
            w.WriteNumber("latestSequence", t.LatestSequence);
            w.WriteNumber("progress", t.Progress);
            if (t.EstimatedTimeRemaining is { } eta)
            {
                w.WriteNumber("estimatedTimeRemainingMs", (long)eta.TotalMilliseconds);
            }
            else
            {
                w.WriteNull("estimatedTimeRemainingMs");
            }

            Time(w, "latestTimestamp", t.LatestTimestamp);
            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteStartArray("locks");
        foreach (var l in r.Locks)
        {
            w.WriteStartObject();
            w.WriteString("key", l.Key);
            w.WriteString("owner", l.Owner);
            Time(w, "expiresAt", l.ExpiresAt);
            w.WriteNumber("fencingToken", l.FencingToken);
            if (l.Holder is { } holder)
            {
                w.WriteNumber("processId", holder.ProcessId);
                w.WriteBoolean("onThisHost", holder.IsOnThisHost);
            }

            // Whether the next acquisition takes it over at once: its holder process is gone (on this host).
            w.WriteBoolean("ownerGone", l.Holder?.IsGone == true);
            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteStartArray("semaphores");
        foreach (var m in r.Semaphores)
        {
            w.WriteStartObject();
            w.WriteString("key", m.Key);
            w.WriteNumber("permits", m.Permits);
            w.WriteStartArray("holders");
            foreach (var h in m.Holders)
            {
                w.WriteStartObject();
                w.WriteString("owner", h.Owner);
                Time(w, "expiresAt", h.ExpiresAt);
                w.WriteNumber("fencingToken", h.FencingToken);
                w.WriteBoolean("ownerGone", h.Holder?.IsGone == true);
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteStartArray("idempotency");
        foreach (var i in r.Idempotency)
        {
            w.WriteStartObject();
            w.WriteString("key", i.Key);
            Time(w, "createdAt", i.CreatedAt);
            Time(w, "expiresAt", i.ExpiresAt);
            w.WriteNumber("valueBytes", i.ValueBytes);
            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteEndObject();
        w.Flush();
        output.WriteByte((byte)'\n');
    }

    private static void Listing(TextWriter o, string title, string? pattern, int count, string[] header, List<string[]> rows)
    {
        var heading = pattern is null ? Invariant($"{title} ({count:N0})") : Invariant($"{title} matching \"{pattern}\" ({count:N0})");
        var shown = rows.Count;
        Table(o, heading, header, rows);
        if (count > shown)
        {
            o.WriteLine(Invariant($"  ... {count - shown:N0} more; --keys PATTERN lists the keys that match it"));
            o.WriteLine();
        }
    }

    private static void Table(TextWriter o, string title, string[] header, List<string[]> rows)
    {
        o.WriteLine(title);
        if (rows.Count == 0)
        {
            o.WriteLine("  (none)");
            o.WriteLine();
            return;
        }

        rows.Insert(0, header);
        var widths = new int[header.Length];
        foreach (var row in rows)
        {
            for (var i = 0; i < row.Length; i++)
            {
                widths[i] = Math.Max(widths[i], row[i].Length);
            }
        }

        var line = new System.Text.StringBuilder();
        foreach (var row in rows)
        {
            line.Clear().Append("  ");
            for (var i = 0; i < row.Length; i++)
            {
                line.Append(i == row.Length - 1 ? row[i] : row[i].PadRight(widths[i] + 2));
            }

            o.WriteLine(line.ToString().TrimEnd());
        }

        o.WriteLine();
    }

    private static void Counts(Utf8JsonWriter w, string name, RowCounts counts)
    {
        w.WriteStartObject(name);
        w.WriteNumber("live", counts.Live);
        w.WriteNumber("expired", counts.Expired);
        w.WriteEndObject();
    }

    private static void Time(Utf8JsonWriter w, string name, DateTimeOffset? value)
    {
        if (value is { } v)
        {
            w.WriteString(name, v);
        }
        else
        {
            w.WriteNull(name);
        }
    }

    private static string Time(DateTimeOffset? value) =>
        value is { } v ? v.ToUniversalTime().ToString("yyyy-MM-dd HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture) : "-";

    // "4242 (gone)", "4242", "4242 (other host)", or "-" for a lock row that recorded no process.
    private static string Holder(LockHolder? holder) => holder switch
    {
        null => "-",
        { IsGone: true } => Invariant($"{holder.ProcessId} (gone)"),
        { IsOnThisHost: false } => Invariant($"{holder.ProcessId} (other host)"),
        _ => Invariant($"{holder.ProcessId}"),
    };

    private static string Seconds(TimeSpan span) =>
        span <= TimeSpan.Zero ? "expired" : ProgressDisplay.Human(span);

    private static string Bytes(long bytes) =>
        bytes >= 1 << 20 ? Invariant($"{bytes / 1048576.0:0.0} MiB") : bytes >= 1 << 10 ? Invariant($"{bytes / 1024.0:0.0} KiB") : Invariant($"{bytes} B");

    private static string N(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
