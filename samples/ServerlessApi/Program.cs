// A payments API in the shape of a serverless HTTP function, published with NativeAOT: one binary, instances that come
// and go, and everything they share in the store (a SQLite file for one instance, PostgreSQL for many).
//
//   POST /payments        charges a (simulated) payment provider once per Idempotency-Key, across every instance;
//                         X-Api-Key required (401), a per-key rate limit shared by every instance (429), the provider
//                         behind a circuit breaker shared by every instance (503 with Retry-After while it is open)
//   GET  /payments/{id}   the stored payment (404 if none, or another API key's)
//   GET  /health          "ok"
//
//   dotnet run --project samples/ServerlessApi                                       SQLite, ./payments.db
//   Store='postgres:Host=db;Username=app;Database=app' ./serverlessapi --urls http://0.0.0.0:8080
//
// Configuration (environment variables or --Key=value): Store, RateLimit__PermitLimit (20), RateLimit__WindowSeconds
// (60); the simulated provider reads DOWNSTREAM_LOG and DOWNSTREAM_DELAY_MS. PORT (as Cloud Run sets it) is honored
// when no URL is configured otherwise.
using System.Globalization;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.RateLimiting;
using NativeAotPersistence;
using NativeAotPersistence.AspNetCore;
using ServerlessApi;

var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
{
    // No watching of appsettings.json for changes (a function's configuration is its environment, fixed per revision):
    // the watcher covers the content root and every folder under it, so started in a big tree it walks all of it before
    // the first request, and it takes an inotify instance, of which a user has few. The command line can turn it back on.
    Args = ["--hostBuilder:reloadConfigOnChange=false", .. args],

    // appsettings.json (optional) beside the binary, wherever the process is started from.
    ContentRootPath = AppContext.BaseDirectory,
});

// As the web templates' appsettings.json does: ASP.NET Core's per-request lines only from warnings up (start-up and
// shutdown lines stay), unless Logging__LogLevel__Microsoft.AspNetCore says otherwise.
if (builder.Configuration["Logging:LogLevel:Microsoft.AspNetCore"] is null)
{
    builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
}

if (Environment.GetEnvironmentVariable("PORT") is { Length: > 0 } port && string.IsNullOrEmpty(builder.Configuration["urls"]))
{
    builder.WebHost.UseUrls($"http://0.0.0.0:{port}");
}

// The budget of each API key: PermitLimit requests per window, on every instance together.
if (!TryGetSetting(builder.Configuration, "RateLimit:PermitLimit", 20, out var permitLimit)
    || !TryGetSetting(builder.Configuration, "RateLimit:WindowSeconds", 60, out var windowSeconds))
{
    await Console.Error.WriteLineAsync("serverlessapi: RateLimit:PermitLimit and RateLimit:WindowSeconds must be positive integers.");
    return 2;
}

// The store, chosen by one setting: every instance given the same one shares leases, responses, budgets and the breaker.
var setting = builder.Configuration["Store"] is { Length: > 0 } configured ? configured : StoreSetting.Default;
IPersistenceAdapter store;
try
{
    store = await StoreSetting.OpenAsync(setting);
}
catch (Exception e) when (e is PersistenceException or ArgumentException or IOException or UnauthorizedAccessException)
{
    await Console.Error.WriteLineAsync($"serverlessapi: cannot open the store ({StoreSetting.Describe(setting)}): {e.Message}");
    return 1;
}

await using (store)
{
    builder.Services.AddSingleton(store);
    builder.Services.ConfigureHttpJsonOptions(o => o.SerializerOptions.TypeInfoResolverChain.Insert(0, ApiJson.Default));
    builder.Services.AddProblemDetails();

    // Idempotency-Key on POST /payments, keys scoped per API key (another client's "order-1" is another operation).
    builder.Services.AddIdempotency(o => o.Scope = http => http.Request.Headers[ApiKeys.HeaderName]);

    // One fixed window per API key, in the store: every instance spends from the same budget.
    var window = TimeSpan.FromSeconds(windowSeconds);
    builder.Services.AddRateLimiter(limits =>
    {
        limits.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
        limits.OnRejected = (context, _) =>
        {
            if (context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter))
            {
                context.HttpContext.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
            }

            return new ValueTask(Results.Problem(statusCode: StatusCodes.Status429TooManyRequests, title: "Too many requests",
                detail: $"This API key may make {permitLimit} requests per {window.TotalSeconds} s, on every instance together.").ExecuteAsync(context.HttpContext));
        };
        limits.AddPersistentFixedWindow("per-api-key", http => http.Request.Headers[ApiKeys.HeaderName],
            _ => new FixedWindowRateLimiterOptions { PermitLimit = permitLimit, Window = window });
    });

    // The payment provider behind a breaker whose state is in the store: opened by one instance, open for all of them.
    builder.Services.AddSingleton(PaymentProvider.FromEnvironment());
    builder.Services.AddSingleton(services => new CircuitBreaker(
        services.GetRequiredService<IPersistenceAdapter>().CircuitBreakers,
        "downstream",
        new CircuitBreakerOptions { FailureThreshold = 3, ResetTimeout = TimeSpan.FromSeconds(30) }));

    var app = builder.Build();
    app.Use(ApiKeys.RequireOnPayments);
    app.UseRateLimiter();

    app.MapPost("/payments", Payments.CreateAsync)
        .WithIdempotency()
        .RequireRateLimiting("per-api-key");
    app.MapGet("/payments/{id}", Payments.GetAsync);
    app.MapGet("/health", () => "ok");

    await app.RunAsync();
}

return 0;

static bool TryGetSetting(IConfiguration configuration, string key, int fallback, out int value)
{
    var text = configuration[key];
    if (string.IsNullOrEmpty(text))
    {
        value = fallback;
        return true;
    }

    return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value) && value > 0;
}
