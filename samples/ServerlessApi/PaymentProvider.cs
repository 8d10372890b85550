using System.Collections.Concurrent;
using System.Globalization;
using System.Text;

namespace ServerlessApi;

/// <summary>The payment provider did not answer with success (a stand-in for a 5xx or a connection reset).</summary>
internal sealed class PaymentProviderException(string message) : Exception(message);

/// <summary>
/// A simulated payment provider that honours idempotency keys, as real ones do (Stripe's <c>Idempotency-Key</c>, Adyen's,
/// PayPal's <c>PayPal-Request-Id</c>): a charge whose key it has seen is not made again. Its "ledger" is the file named by
/// the environment variable <c>DOWNSTREAM_LOG</c>, one <c>charge &lt;key&gt; &lt;amount&gt;</c> line per charge, shared by
/// every instance on the machine (written under an exclusive file lock); without it, a set in this process.
/// </summary>
/// <remarks>
/// For the tests: a request with <c>X-Downstream-Fail: 1</c> makes the provider fail (before charging), so that the
/// breaker opens; <c>DOWNSTREAM_DELAY_MS</c> makes it answer that long <em>after</em> charging, so that an instance killed
/// then has had its effect but stored no response.
/// </remarks>
internal sealed class PaymentProvider(string? ledgerPath, TimeSpan delay)
{
    private readonly ConcurrentDictionary<string, decimal> _charges = new(StringComparer.Ordinal);

    public static PaymentProvider FromEnvironment()
    {
        var ledger = Environment.GetEnvironmentVariable("DOWNSTREAM_LOG");
        var delayMs = int.TryParse(Environment.GetEnvironmentVariable("DOWNSTREAM_DELAY_MS"), NumberStyles.None, CultureInfo.InvariantCulture, out var ms) ? ms : 0;
        return new PaymentProvider(string.IsNullOrEmpty(ledger) ? null : ledger, TimeSpan.FromMilliseconds(delayMs));
    }

    /// <summary>Charges <paramref name="amount"/> once per <paramref name="idempotencyKey"/>.</summary>
    /// <returns>Whether this call charged (false: the key had been charged already, nothing happened).</returns>
    /// <exception cref="PaymentProviderException">The provider failed; nothing was charged.</exception>
    public async ValueTask<bool> ChargeAsync(string idempotencyKey, decimal amount, bool fail, CancellationToken cancellationToken)
    {
        if (fail)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(5), cancellationToken);
            throw new PaymentProviderException("The payment provider answered 502 Bad Gateway (the request asked for it: X-Downstream-Fail: 1).");
        }

        var charged = ledgerPath is null
            ? _charges.TryAdd(idempotencyKey, amount)
            : await AppendOnceAsync(ledgerPath, idempotencyKey, amount, cancellationToken);

        // The effect has happened: from here on, the process may die without a response.
        if (delay > TimeSpan.Zero)
        {
            await Task.Delay(delay, CancellationToken.None);
        }

        return charged;
    }

    /// <summary>Appends the charge unless the ledger has one under the key, holding the file exclusively meanwhile.</summary>
    private static async ValueTask<bool> AppendOnceAsync(string path, string key, decimal amount, CancellationToken cancellationToken)
    {
        var prefix = "charge " + key + " ";
        for (var attempt = 1; ; attempt++)
        {
            FileStream file;
            try
            {
                // FileShare.None takes an exclusive lock (flock) on the file: another instance's open fails until we close.
                file = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException e) when (e is not DirectoryNotFoundException && attempt < 500)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(10), cancellationToken);
                continue;
            }

            await using (file)
            {
                using (var reader = new StreamReader(file, Encoding.UTF8, detectEncodingFromByteOrderMarks: false, leaveOpen: true))
                {
                    while (await reader.ReadLineAsync(cancellationToken) is { } line)
                    {
                        if (line.StartsWith(prefix, StringComparison.Ordinal))
                        {
                            return false;
                        }
                    }
                }

                file.Seek(0, SeekOrigin.End);
                await file.WriteAsync(Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{prefix}{amount}\n")), cancellationToken);
                file.Flush(flushToDisk: true);
                return true;
            }
        }
    }
}
