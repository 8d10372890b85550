using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Mvc;
using NativeAotPersistence;

namespace ServerlessApi;

/// <summary>The <c>/payments</c> handlers.</summary>
internal static class Payments
{
    /// <summary>
    /// <c>POST /payments</c>, behind <c>.WithIdempotency()</c>: this runs once per Idempotency-Key (per API key) across
    /// every instance; its 201 is stored and replayed to retries byte for byte. A 5xx (the provider failed, the breaker is
    /// open) is not stored: a retry runs this again, and the provider's own idempotency makes that harmless.
    /// </summary>
    public static async Task<IResult> CreateAsync(
        PaymentRequest request,
        HttpContext http,
        [FromServices] IPersistenceAdapter store,
        [FromServices] PaymentProvider provider,
        [FromServices] CircuitBreaker breaker)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        if (request.Amount is <= 0 or > 1_000_000)
        {
            errors["amount"] = ["The amount must be more than 0 and at most 1,000,000."];
        }

        if (request.Currency is not { Length: 3 } currency || !currency.All(char.IsAsciiLetterUpper))
        {
            errors["currency"] = ["The currency is an ISO 4217 code: three capital letters, such as EUR."];
            currency = "";
        }

        if (errors.Count > 0)
        {
            return Results.ValidationProblem(errors);
        }

        // The client's key goes to the provider as its idempotency key: if this handler ran before and died after the
        // charge (a SIGKILL, a scale-in), the provider recognizes the charge and does not make it twice.
        var key = IdempotencyKeyValue(http.Request.Headers["Idempotency-Key"].ToString());
        await Console.Out.WriteLineAsync($"handling {key}");
        await Console.Out.FlushAsync();

        try
        {
            await breaker.ExecuteAsync(
                ct => provider.ChargeAsync(key, request.Amount, http.Request.Headers["X-Downstream-Fail"] == "1", ct),
                http.RequestAborted);
        }
        catch (CircuitBreakerOpenException open)
        {
            var seconds = open.IsIsolated ? 60 : Math.Max(1, (int)Math.Ceiling(open.RetryAfter.TotalSeconds));
            http.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
            return Results.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, title: "The payment provider is unavailable",
                detail: $"Its circuit breaker is open (it failed repeatedly; every instance sees it): retry after {seconds} s. Nothing was charged.");
        }
        catch (PaymentProviderException failed)
        {
            return Results.Problem(statusCode: StatusCodes.Status502BadGateway, title: "The payment provider failed", detail: failed.Message);
        }

        var payment = new Payment(Guid.NewGuid(), request.Amount, currency);
        await store.Cache.SetAsync(StoreKey(ApiKeys.Of(http), payment.Id), JsonSerializer.SerializeToUtf8Bytes(payment, ApiJson.Default.Payment));
        return TypedResults.Created($"/payments/{payment.Id}", payment);
    }

    /// <summary><c>GET /payments/{id}</c>: the payment, if this API key made it.</summary>
    public static async Task<IResult> GetAsync(string id, HttpContext http, [FromServices] IPersistenceAdapter store)
    {
        if (Guid.TryParse(id, out var guid) && await store.Cache.GetAsync<byte[]>(StoreKey(ApiKeys.Of(http), guid), http.RequestAborted) is { } json)
        {
            return Results.Bytes(json, "application/json");
        }

        return Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "No such payment",
            detail: $"This API key made no payment with the id '{id}'.");
    }

    /// <summary>Payments live in the store's cache, keyed by their API key and id (no expiry).</summary>
    private static string StoreKey(string apiKey, Guid id) => string.Create(CultureInfo.InvariantCulture, $"payment:{apiKey}:{id}");

    /// <summary>
    /// The key as the client meant it: the header is a structured-field string (<c>"order-1"</c>) or, as many clients send,
    /// a bare token (<c>order-1</c>); both are the same key (the Idempotency-Key handler has checked it already).
    /// </summary>
    private static string IdempotencyKeyValue(string header)
    {
        if (header.Length < 2 || header[0] != '"' || header[^1] != '"')
        {
            return header;
        }

        var value = new StringBuilder(header.Length);
        for (var i = 1; i < header.Length - 1; i++)
        {
            if (header[i] == '\\' && i + 1 < header.Length - 1)
            {
                i++;
            }

            value.Append(header[i]);
        }

        return value.ToString();
    }
}
