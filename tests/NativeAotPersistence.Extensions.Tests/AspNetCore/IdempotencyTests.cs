using System.Net;
using System.Text;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using NativeAotPersistence.AspNetCore;

namespace NativeAotPersistence.Extensions.Tests.AspNetCore;

/// <summary>
/// The Idempotency-Key handling and the persistent rate-limiting policies over real HTTP: Kestrel on loopback, one or two
/// "instances" (web applications) on one SQLite file, an HttpClient.
/// </summary>
public sealed class IdempotencyTests : IAsyncDisposable
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private readonly TempDirectory _dir = new();
    private readonly List<WebApplication> _apps = [];
    private readonly HttpClient _http = new();

    /// <summary>Counts the handler's runs per key (the effect a retry must not repeat).</summary>
    private readonly Dictionary<string, int> _runs = [];

    public async ValueTask DisposeAsync()
    {
        foreach (var app in _apps)
        {
            await app.DisposeAsync();
        }

        _http.Dispose();
        _dir.Dispose();
    }

    private int Runs(string key)
    {
        lock (_runs)
        {
            return _runs.GetValueOrDefault(key);
        }
    }

    /// <summary>An instance: POST /orders (idempotent; 201 with a Location and a JSON body naming the run), POST /fail (500), POST /throw.</summary>
    /// <summary>The PostgreSQL schema every instance of a test shares, when the test runs on PostgreSQL (else a SQLite file).</summary>
    private string? _postgres;

    private async Task UsePostgresAsync() => _postgres = await global::NativeAotPersistence.Tests.PostgreSql.PostgresServer.CreateSchemaAsync();

    private async Task<Uri> StartAsync(Action<IdempotencyOptions>? configure = null, Func<Task>? gate = null, Action<WebApplication>? map = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        var path = _dir.File("api.db");
        var postgres = _postgres;
        builder.Services.AddSingleton<IPersistenceAdapter>(_ => postgres is null
            ? SqliteAdapter.OpenAsync(path).AsTask().GetAwaiter().GetResult()
            : PostgresAdapter.OpenAsync(postgres).AsTask().GetAwaiter().GetResult());
        builder.Services.AddIdempotency(configure);
        builder.Services.AddRateLimiter(options => options
            .AddPersistentFixedWindow("per-api-key", http => http.Request.Headers["X-Api-Key"], _ => new FixedWindowRateLimiterOptions { PermitLimit = 2, Window = TimeSpan.FromMinutes(10) })
            .AddPersistentFixedWindow("per-api-key-other", http => http.Request.Headers["X-Api-Key"], _ => new FixedWindowRateLimiterOptions { PermitLimit = 1, Window = TimeSpan.FromMinutes(10) }));
        var app = builder.Build();
        app.UseRateLimiter();
        var run = 0;
        app.MapPost("/orders", async (HttpContext http) =>
        {
            var key = http.Request.Headers["Idempotency-Key"].ToString();
            lock (_runs)
            {
                _runs[key] = _runs.GetValueOrDefault(key) + 1;
            }

            if (gate is not null)
            {
                await gate();
            }

            var n = Interlocked.Increment(ref run);
            http.Response.Headers.Location = $"/orders/{n}";
            http.Response.Headers["X-Not-Replayed"] = "volatile";
            return Results.Text($$"""{"order":{{n}},"at":"{{Guid.NewGuid()}}"}""", "application/json", Encoding.UTF8, StatusCodes.Status201Created);
        }).WithIdempotency();
        app.MapPost("/fail", (HttpContext http) =>
        {
            var key = http.Request.Headers["Idempotency-Key"].ToString();
            lock (_runs)
            {
                _runs[key] = _runs.GetValueOrDefault(key) + 1;
            }

            return Results.StatusCode(503);
        }).WithIdempotency();
        app.MapPost("/throw", (HttpContext http) =>
        {
            var key = http.Request.Headers["Idempotency-Key"].ToString();
            lock (_runs)
            {
                _runs[key] = _runs.GetValueOrDefault(key) + 1;
            }

            throw new InvalidOperationException("handler failed");
        }).WithIdempotency();
        app.MapGroup("/group").WithIdempotency().MapPost("/a", () => Results.Ok(Guid.NewGuid().ToString()));
        app.MapPost("/empty", (HttpContext http) =>
        {
            var key = http.Request.Headers["Idempotency-Key"].ToString();
            lock (_runs)
            {
                _runs[key] = _runs.GetValueOrDefault(key) + 1;
            }

            return Results.NoContent();
        }).WithIdempotency();
        app.MapPost("/big", (HttpContext http) =>
        {
            var key = http.Request.Headers["Idempotency-Key"].ToString();
            lock (_runs)
            {
                _runs[key] = _runs.GetValueOrDefault(key) + 1;
            }

            return Results.Text(new string('x', 2_000));
        }).WithIdempotency();
        app.MapGet("/group/read", () => "read").WithIdempotency();
        app.MapPost("/limited-other", () => "ok").RequireRateLimiting("per-api-key-other");
        app.MapPost("/pipe", async (HttpContext http) =>
        {
            // Written to the response pipe and left unflushed: the handler returns, the framework completes the response.
            http.Response.StatusCode = StatusCodes.Status202Accepted;
            http.Response.ContentType = "text/plain";
            var text = Encoding.UTF8.GetBytes("piped " + Guid.NewGuid());
            await http.Response.BodyWriter.WriteAsync(text);
        }).WithIdempotency();
        app.MapPost("/limited", () => "ok").RequireRateLimiting("per-api-key");
        map?.Invoke(app);
        await app.StartAsync(Ct);
        _apps.Add(app);
        return new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
    }

    private Task<HttpResponseMessage> PostAsync(Uri server, string path, string? key, string body = """{"sku":"lamp"}""", string? apiKey = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, new Uri(server, path)) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        if (key is not null)
        {
            request.Headers.TryAddWithoutValidation("Idempotency-Key", key);
        }

        if (apiKey is not null)
        {
            request.Headers.TryAddWithoutValidation("X-Api-Key", apiKey);
        }

        return _http.SendAsync(request, Ct);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ARetry_GetsTheFirstResponse_ByteForByte_AndTheHandlerRunsOnce(bool postgres)
    {
        if (postgres)
        {
            await UsePostgresAsync();
        }

        var server = await StartAsync();
        using var first = await PostAsync(server, "/orders", "\"k-1\"");
        var body = await first.Content.ReadAsByteArrayAsync(Ct);
        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        Assert.False(first.Headers.Contains(IdempotencyOptions.ReplayedHeaderName));

        for (var i = 0; i < 3; i++)
        {
            using var retry = await PostAsync(server, "/orders", "\"k-1\"");
            Assert.Equal(HttpStatusCode.Created, retry.StatusCode);
            Assert.Equal(body, await retry.Content.ReadAsByteArrayAsync(Ct));
            Assert.Equal(first.Headers.Location, retry.Headers.Location);
            Assert.Equal(first.Content.Headers.ContentType, retry.Content.Headers.ContentType);
            Assert.Equal("true", Assert.Single(retry.Headers.GetValues(IdempotencyOptions.ReplayedHeaderName)));
            Assert.False(retry.Headers.Contains("X-Not-Replayed"));
        }

        Assert.Equal(1, Runs("\"k-1\""));

        // A bare token is accepted too, and is the same key as its quoted form.
        using var bare = await PostAsync(server, "/orders", "k-1");
        Assert.Equal(body, await bare.Content.ReadAsByteArrayAsync(Ct));
    }

    [Fact]
    public async Task TheSameKey_WithAnotherRequest_Gets422_AndRunsNothing()
    {
        var server = await StartAsync();
        using var first = await PostAsync(server, "/orders", "k-2");
        using var changed = await PostAsync(server, "/orders", "k-2", """{"sku":"desk"}""");
        Assert.Equal(HttpStatusCode.UnprocessableEntity, changed.StatusCode);
        Assert.Equal("application/problem+json", changed.Content.Headers.ContentType!.MediaType);
        Assert.Contains("different request", await changed.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        using var otherPath = await PostAsync(server, "/orders?x=1", "k-2");
        Assert.Equal(HttpStatusCode.UnprocessableEntity, otherPath.StatusCode);
        Assert.Equal(1, Runs("k-2"));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ARetryWhileTheFirstRuns_Gets409WithRetryAfter_OnAnotherInstanceToo(bool postgres)
    {
        if (postgres)
        {
            await UsePostgresAsync();
        }

        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var a = await StartAsync(gate: async () =>
        {
            entered.TrySetResult();
            await release.Task;
        });
        var b = await StartAsync();
        var first = PostAsync(a, "/orders", "k-3");
        await entered.Task.WaitAsync(TimeSpan.FromSeconds(30), Ct);

        using (var busy = await PostAsync(b, "/orders", "k-3"))
        {
            Assert.Equal(HttpStatusCode.Conflict, busy.StatusCode);
            Assert.Equal(TimeSpan.FromSeconds(1), busy.Headers.RetryAfter!.Delta);
        }

        release.SetResult();
        using var done = await first;
        var body = await done.Content.ReadAsByteArrayAsync(Ct);
        using var replay = await PostAsync(b, "/orders", "k-3");
        Assert.Equal(HttpStatusCode.Created, replay.StatusCode);
        Assert.Equal(body, await replay.Content.ReadAsByteArrayAsync(Ct));
        Assert.Equal(1, Runs("k-3"));
    }

    [Fact]
    public async Task AFailedHandler_IsNotStored_SoARetryRunsAgain()
    {
        var server = await StartAsync();
        using (var failed = await PostAsync(server, "/fail", "k-4"))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, failed.StatusCode);
        }

        using (var again = await PostAsync(server, "/fail", "k-4"))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, again.StatusCode);
        }

        Assert.Equal(2, Runs("k-4"));
        using (var thrown = await PostAsync(server, "/throw", "k-5"))
        {
            Assert.Equal(HttpStatusCode.InternalServerError, thrown.StatusCode);
        }

        using (var thrownAgain = await PostAsync(server, "/throw", "k-5"))
        {
            Assert.Equal(HttpStatusCode.InternalServerError, thrownAgain.StatusCode);
        }

        Assert.Equal(2, Runs("k-5"));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("\"unterminated")]
    [InlineData("\"bad\\x\"")]
    [InlineData("two words")]
    [InlineData("\"a\"b\"")]
    public async Task AMissingOrInvalidKey_Gets400_AndRunsNothing(string? key)
    {
        var server = await StartAsync();
        using var response = await PostAsync(server, "/orders", key);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
        lock (_runs)
        {
            Assert.Empty(_runs);
        }
    }

    [Fact]
    public async Task AKeyTooLong_OrTwoKeys_OrABodyTooLarge_AreRefused()
    {
        var server = await StartAsync(o => o.MaxRequestBodyBytes = 100);
        using (var tooLong = await PostAsync(server, "/orders", new string('k', 256)))
        {
            Assert.Equal(HttpStatusCode.BadRequest, tooLong.StatusCode);
        }

        using (var request = new HttpRequestMessage(HttpMethod.Post, new Uri(server, "/orders")) { Content = new StringContent("{}") })
        {
            request.Headers.TryAddWithoutValidation("Idempotency-Key", ["a", "b"]);
            using var two = await _http.SendAsync(request, Ct);
            Assert.Equal(HttpStatusCode.BadRequest, two.StatusCode);
        }

        using (var large = await PostAsync(server, "/orders", "k-6", new string('x', 101)))
        {
            Assert.Equal(HttpStatusCode.RequestEntityTooLarge, large.StatusCode);
        }

        Assert.Equal(0, Runs("k-6"));
    }

    [Fact]
    public async Task KeysAreScoped_ByTheSelector_AndOptional_WhenNotRequired()
    {
        var server = await StartAsync(o =>
        {
            o.Scope = http => http.Request.Headers["X-Api-Key"];
            o.RequireKey = false;
        });
        using var alice = await PostAsync(server, "/orders", "k-7", apiKey: "alice");
        using var bob = await PostAsync(server, "/orders", "k-7", apiKey: "bob");
        Assert.NotEqual(await alice.Content.ReadAsStringAsync(Ct), await bob.Content.ReadAsStringAsync(Ct));
        Assert.Equal(2, Runs("k-7"));
        using var none = await PostAsync(server, "/orders", null);
        Assert.Equal(HttpStatusCode.Created, none.StatusCode);
    }

    [Fact]
    public async Task AResponseWrittenToThePipe_IsStoredAndReplayed()
    {
        var server = await StartAsync();
        using var first = await PostAsync(server, "/pipe", "k-9");
        var body = await first.Content.ReadAsStringAsync(Ct);
        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        Assert.StartsWith("piped ", body, StringComparison.Ordinal);
        using var retry = await PostAsync(server, "/pipe", "k-9");
        Assert.Equal(HttpStatusCode.Accepted, retry.StatusCode);
        Assert.Equal(body, await retry.Content.ReadAsStringAsync(Ct));
        Assert.Equal("true", Assert.Single(retry.Headers.GetValues(IdempotencyOptions.ReplayedHeaderName)));
    }

    [Fact]
    public async Task A204_IsReplayedWithoutABody_AndSafeMethodsPassThrough()
    {
        var server = await StartAsync();
        using var first = await PostAsync(server, "/empty", "k-10");
        using var retry = await PostAsync(server, "/empty", "k-10");
        Assert.Equal((HttpStatusCode.NoContent, HttpStatusCode.NoContent), (first.StatusCode, retry.StatusCode));
        Assert.Empty(await retry.Content.ReadAsByteArrayAsync(Ct));
        Assert.Equal("true", Assert.Single(retry.Headers.GetValues(IdempotencyOptions.ReplayedHeaderName)));
        Assert.Equal(1, Runs("k-10"));

        // A GET needs no key (it is idempotent already).
        Assert.Equal("read", await _http.GetStringAsync(new Uri(server, "/group/read"), Ct));
    }

    [Fact]
    public async Task AResponseTooLargeToStore_IsSent_ButARetryRunsAgain()
    {
        var server = await StartAsync(o => o.MaxResponseBodyBytes = 1_000);
        using var first = await PostAsync(server, "/big", "k-11");
        Assert.Equal(2_000, (await first.Content.ReadAsStringAsync(Ct)).Length);
        using var retry = await PostAsync(server, "/big", "k-11");
        Assert.False(retry.Headers.Contains(IdempotencyOptions.ReplayedHeaderName));
        Assert.Equal(2, Runs("k-11"));
    }

    [Fact]
    public async Task AChunkedBodyOverTheLimit_Gets413()
    {
        var server = await StartAsync(o => o.MaxRequestBodyBytes = 100);
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(server, "/orders"))
        {
            Content = new StreamContent(new NonSeekableStream(new byte[1_000])),
        };
        request.Headers.TransferEncodingChunked = true;
        request.Headers.TryAddWithoutValidation("Idempotency-Key", "k-12");
        using var response = await _http.SendAsync(request, Ct);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal(0, Runs("k-12"));
    }

    [Fact]
    public async Task FingerprintHeaders_AreHashed_AndAnEmptyKeyIs400EvenWhenKeysAreOptional()
    {
        var server = await StartAsync(o =>
        {
            o.FingerprintHeaders.Add("X-Currency");
            o.RequireKey = false;
        });
        using (var eur = new HttpRequestMessage(HttpMethod.Post, new Uri(server, "/orders")) { Content = new StringContent("{}") })
        {
            eur.Headers.TryAddWithoutValidation("Idempotency-Key", "k-13");
            eur.Headers.TryAddWithoutValidation("X-Currency", "EUR");
            using var response = await _http.SendAsync(eur, Ct);
            Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        }

        using (var usd = new HttpRequestMessage(HttpMethod.Post, new Uri(server, "/orders")) { Content = new StringContent("{}") })
        {
            usd.Headers.TryAddWithoutValidation("Idempotency-Key", "k-13");
            usd.Headers.TryAddWithoutValidation("X-Currency", "USD");
            using var response = await _http.SendAsync(usd, Ct);
            Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        }

        using var empty = await PostAsync(server, "/orders", "");
        Assert.Equal(HttpStatusCode.BadRequest, empty.StatusCode);
    }

    [Fact]
    public async Task AStoredResponseThisVersionCannotRead_Is500_AndTheHandlerDoesNotRunAgain()
    {
        var server = await StartAsync();
        var store = _apps[^1].Services.GetRequiredService<IPersistenceAdapter>();
        await store.Idempotency.SetAsync("http:" + NativeAotPersistence.AspNetCore.Internal.IdempotencyHandler.ScopeHash(null) + ":k-14", new byte[] { 2, 0, 0 }, TimeSpan.FromHours(1), Ct);
        using var response = await PostAsync(server, "/orders", "k-14");
        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.Contains("cannot read", await response.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        Assert.Equal(0, Runs("k-14"));
    }

    [Theory]
    [InlineData("\"abc\"", "abc")]
    [InlineData("abc", "abc")]
    [InlineData("  \"a\\\"b\"  ", "a\"b")]
    [InlineData("\"a\\\\b\"", "a\\b")]
    [InlineData("8e03978e-40d5-43e8-bc93-6894a57f9324", "8e03978e-40d5-43e8-bc93-6894a57f9324")]
    public void KeysParse_AsStructuredFieldStrings_OrBareTokens(string header, string key)
    {
        Assert.True(NativeAotPersistence.AspNetCore.Internal.IdempotencyHandler.TryParseKey(header, 255, out var parsed));
        Assert.Equal(key, parsed);
    }

    [Theory]
    [InlineData("\"\"")]
    [InlineData("\"a\\x\"")]
    [InlineData("\"a")]
    [InlineData("a b")]
    [InlineData("a,b")]
    [InlineData("\"a\tb\"")]
    [InlineData("\"é\"")]
    public void InvalidKeys_DoNotParse(string header) =>
        Assert.False(NativeAotPersistence.AspNetCore.Internal.IdempotencyHandler.TryParseKey(header, 255, out _));

    [Fact]
    public async Task TwoPoliciesOnOneKey_KeepTwoBudgets()
    {
        var server = await StartAsync();
        using var one = await PostAsync(server, "/limited", null, apiKey: "erin");
        using var other = await PostAsync(server, "/limited-other", null, apiKey: "erin");
        using var otherAgain = await PostAsync(server, "/limited-other", null, apiKey: "erin");
        using var two = await PostAsync(server, "/limited", null, apiKey: "erin");
        Assert.Equal(
            [HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.ServiceUnavailable, HttpStatusCode.OK],
            [one.StatusCode, other.StatusCode, otherAgain.StatusCode, two.StatusCode]);
    }

    [Fact]
    public void OptionsThatCannotWork_AreRefused()
    {
        Assert.Throws<ArgumentException>(() => { var o = new IdempotencyOptions(); o.ReplayedHeaders.Add("Set-Cookie"); o.Validate(); });
        Assert.Throws<ArgumentException>(() => new IdempotencyOptions { LeaseTtl = TimeSpan.FromMilliseconds(2) }.Validate());
        Assert.Throws<ArgumentException>(() => new IdempotencyOptions { HeaderName = "Idempotency Key" }.Validate());
        Assert.Throws<ArgumentException>(() => { var o = new IdempotencyOptions(); o.FingerprintHeaders.Add(""); o.Validate(); });
    }

    /// <summary>A request body of unknown length (sent chunked).</summary>
    private sealed class NonSeekableStream(byte[] bytes) : MemoryStream(bytes)
    {
        public override bool CanSeek => false;
    }

    [Fact]
    public async Task AGroup_MakesItsEndpointsIdempotent()
    {
        var server = await StartAsync();
        using var first = await PostAsync(server, "/group/a", "k-8");
        using var retry = await PostAsync(server, "/group/a", "k-8");
        Assert.Equal(await first.Content.ReadAsStringAsync(Ct), await retry.Content.ReadAsStringAsync(Ct));
        using var missing = await PostAsync(server, "/group/a", null);
        Assert.Equal(HttpStatusCode.BadRequest, missing.StatusCode);
    }

    [Fact]
    public async Task InvalidOptions_StopTheApplicationFromStarting()
    {
        await Assert.ThrowsAsync<OptionsValidationException>(() => StartAsync(o => o.Expiration = TimeSpan.Zero));
        Assert.Throws<ArgumentException>(() => new IdempotencyOptions { MaxKeyLength = 0 }.Validate());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ThePersistentRateLimit_IsSharedByEveryInstance(bool postgres)
    {
        if (postgres)
        {
            await UsePostgresAsync();
        }

        var a = await StartAsync();
        var b = await StartAsync();
        using var one = await PostAsync(a, "/limited", null, apiKey: "carol");
        using var two = await PostAsync(b, "/limited", null, apiKey: "carol");
        using var three = await PostAsync(a, "/limited", null, apiKey: "carol");
        using var other = await PostAsync(b, "/limited", null, apiKey: "dave");
        Assert.Equal(
            [HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.ServiceUnavailable, HttpStatusCode.OK],
            [one.StatusCode, two.StatusCode, three.StatusCode, other.StatusCode]);
    }
}
