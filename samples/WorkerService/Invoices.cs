using NativeAotPersistence;

namespace WorkerService;

/// <summary>One invoice to convert to US dollars: an amount in minor units of its currency.</summary>
internal readonly record struct Invoice(string Currency, long AmountMinor);

/// <summary>What processing a batch produced; <c>ExecuteOnceAsync</c> stores it under the batch's key.</summary>
internal sealed record BatchSummary(int Batch, int Invoices, long TotalUsdCents, DateTimeOffset ProcessedAt);

/// <summary>The generated, reflection-free serializers for what the worker stores.</summary>
[Payload(typeof(BatchSummary))]
internal sealed partial class WorkerPayloads : PayloadContext;

/// <summary>
/// A deterministic invoice feed: batch <c>n</c> always holds the same invoices, so a restarted worker sees exactly the
/// batches it saw before (and <c>ExecuteOnceAsync</c> can tell which it already processed).
/// </summary>
internal static class InvoiceFeed
{
    /// <summary>The currencies invoices come in (the rates API knows each).</summary>
    public static readonly string[] Currencies = ["EUR", "GBP", "JPY", "CHF", "SEK", "CAD"];

    /// <summary>The invoices of batch <paramref name="batch"/>: 3 to 8 of them.</summary>
    public static Invoice[] Batch(int batch)
    {
        var h = Mix((ulong)batch);
        var invoices = new Invoice[3 + (int)(h % 6)];
        for (var i = 0; i < invoices.Length; i++)
        {
            h = Mix(h + (ulong)i);
            invoices[i] = new Invoice(Currencies[(int)(h % (ulong)Currencies.Length)], 1_000 + (long)((h >> 16) % 500_000));
        }

        return invoices;
    }

    /// <summary>SplitMix64's finalizer: a well-mixed 64-bit value from any input.</summary>
    public static ulong Mix(ulong x)
    {
        x = unchecked((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9UL);
        x = unchecked((x ^ (x >> 27)) * 0x94D049BB133111EBUL);
        return x ^ (x >> 31);
    }
}
