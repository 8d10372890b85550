namespace NativeAotPersistence.Tests.Docs;

/// <summary>The stand-ins the doc examples call: a profile loader, an import batch, a partner's API, rates, payments.</summary>
public sealed partial class DocExamplesTests
{
    private static ValueTask<string> LoadProfileAsync(int id, CancellationToken ct) =>
        ValueTask.FromResult($"profile-{id}");

    private static async ValueTask<ImportState> ImportBatchAsync(ImportState state, CancellationToken ct)
    {
        await Task.Yield();
        ct.ThrowIfCancellationRequested();
        return state with { NextRow = state.NextRow + 250 };
    }

    /// <summary>A partner's API as the rate-limiting examples call it.</summary>
    private sealed class PartnerApi
    {
        private int _sent;

        public int Sent => Volatile.Read(ref _sent);

        public async ValueTask SendAsync(OrderState order, CancellationToken ct)
        {
            await Task.Yield();
            ct.ThrowIfCancellationRequested();
            Interlocked.Increment(ref _sent);
        }
    }

    /// <summary>A payments API as the examples call it: a charge per order, optionally with an idempotency key.</summary>
    private sealed class Rates
    {
        private int _calls;

        public async ValueTask<decimal> GetAsync(string currency, CancellationToken ct)
        {
            Interlocked.Increment(ref _calls);
            await Task.Yield();
            ct.ThrowIfCancellationRequested();
            return currency == "EUR" ? 1.08m : throw new ArgumentException("unknown currency", nameof(currency));
        }
    }

    private sealed class Payments
    {
        private readonly Dictionary<string, int> _calls = [];

        public ValueTask<Receipt> ChargeAsync(OrderState order, CancellationToken ct) => ChargeAsync(order, "", ct);

        public async ValueTask<Receipt> ChargeAsync(OrderState order, string idempotencyKey, CancellationToken ct)
        {
            await Task.Yield();
            ct.ThrowIfCancellationRequested();
            lock (_calls)
            {
                _calls[idempotencyKey] = _calls.GetValueOrDefault(idempotencyKey) + 1;
            }

            return new Receipt("r-" + order.Id, order.Total);
        }

        public int Calls(string idempotencyKey)
        {
            lock (_calls)
            {
                return _calls.GetValueOrDefault(idempotencyKey);
            }
        }
    }
}
