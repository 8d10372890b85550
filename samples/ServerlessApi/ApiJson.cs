using System.Text.Json;
using System.Text.Json.Serialization;

namespace ServerlessApi;

/// <summary>The body of <c>POST /payments</c>: <c>{"amount": 12.5, "currency": "EUR"}</c>.</summary>
internal sealed record PaymentRequest(decimal Amount, string? Currency);

/// <summary>A payment as the API returns and stores it.</summary>
internal sealed record Payment(Guid Id, decimal Amount, string Currency);

/// <summary>
/// System.Text.Json's source-generated serializers for the API's bodies: NativeAOT has no reflection-based JSON, so the
/// minimal API binds and writes these through this context (registered with <c>ConfigureHttpJsonOptions</c>).
/// </summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(PaymentRequest))]
[JsonSerializable(typeof(Payment))]
internal sealed partial class ApiJson : JsonSerializerContext;
