using System.Net;
using System.Text;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using NativeAotPersistence.AspNetCore;

namespace NativeAotPersistence.Extensions.Tests.AspNetCore;

/// <summary>
/// docs/serverless.md's example, compiled and run over real HTTP: each <c>// snippet: Name</c> region is word for word the
/// block of that name on the page (the core tests' DocSnippetTests checks it).
/// </summary>
public sealed class ServerlessDocExamplesTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task IdempotentApi()
    {
        using var dir = new TempDirectory();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        var store = await SqliteAdapter.OpenAsync(dir.File("api.db"), cancellationToken: Ct);
        builder.Services.AddSingleton<IPersistenceAdapter>(store);
        var charges = 0;

        // snippet: IdempotentApi
        builder.Services.AddIdempotency(options =>
        {
            options.Scope = http => http.Request.Headers["X-Api-Key"];   // each API key has its own keys
            options.Expiration = TimeSpan.FromHours(24);
        });
        builder.Services.AddRateLimiter(limits => limits.AddPersistentTokenBucket("per-api-key",
            http => http.Request.Headers["X-Api-Key"],                   // one budget per API key, for every instance
            _ => new TokenBucketRateLimiterOptions { TokenLimit = 20, TokensPerPeriod = 10, ReplenishmentPeriod = TimeSpan.FromSeconds(1) }));

        var app = builder.Build();
        app.UseRateLimiter();
        app.MapPost("/payments", (HttpContext http) =>
        {
            var id = Interlocked.Increment(ref charges);                 // the effect a retry must not repeat
            return Results.Created($"/payments/{id}", $"payment {id}");
        })
        .WithIdempotency()                                               // Idempotency-Key: 400, 409, 422, replay
        .RequireRateLimiting("per-api-key");
        // end snippet

        await using (app)
        {
            await app.StartAsync(Ct);
            var server = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
            using var http = new HttpClient();
            string[] bodies = new string[2];
            for (var i = 0; i < 2; i++)
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(server, "/payments")) { Content = new StringContent("{\"amount\":5}", Encoding.UTF8, "application/json") };
                request.Headers.TryAddWithoutValidation("Idempotency-Key", "\"order-42\"");
                request.Headers.TryAddWithoutValidation("X-Api-Key", "shop-1");
                using var response = await http.SendAsync(request, Ct);
                Assert.Equal(HttpStatusCode.Created, response.StatusCode);
                bodies[i] = await response.Content.ReadAsStringAsync(Ct);
            }

            Assert.Equal(bodies[0], bodies[1]);
            Assert.Equal(1, charges);
            await app.StopAsync(Ct);
        }

        await store.DisposeAsync();
    }
}
