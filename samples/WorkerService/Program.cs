// An invoice-conversion worker on the generic host, published with NativeAOT. Every few milliseconds it takes the next
// batch of a (simulated) invoice feed and converts it to US dollars with exchange rates from a flaky rates API:
// rates are cached in IDistributedCache (sliding expiry), the API is guarded by a Polly circuit breaker whose state
// lives in the database, the API's per-currency quota is a partitioned rate limiter whose buckets live there too, and
// each batch is recorded with ExecuteOnceAsync, so a restart skips what was done.
//
//   dotnet run --project samples/WorkerService                       runs until Ctrl+C / SIGTERM
//   dotnet run --project samples/WorkerService -- --iterations 20    20 batches, then exits 0 (run it twice)
//   workerservice --db /tmp/worker.db --iterations 20                 the published binary; any appsettings key works too
using Microsoft.Extensions.Options;
using NativeAotPersistence;
using WorkerService;

var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
{
    Args = args,
    // appsettings.json sits beside the binary; the working directory may be anywhere (a service manager, CI).
    ContentRootPath = AppContext.BaseDirectory,
});
builder.Configuration.AddCommandLine(args, new Dictionary<string, string>
{
    ["--iterations"] = "Worker:Iterations",
    ["--db"] = "Persistence:Path",
});

// Both sections are bound by the configuration binder's source generator (EnableConfigurationBindingGenerator).
builder.Services.Configure<NativeAotPersistenceOptions>(builder.Configuration.GetSection("Persistence"));
builder.Services.AddNativeAotPersistence(o => o.UsePayloads(WorkerPayloads.Default));
builder.Services.AddNativeAotPersistenceDistributedCache();

builder.Services.AddOptions<WorkerOptions>().Bind(builder.Configuration.GetSection("Worker")).ValidateOnStart();
builder.Services.AddSingleton<IValidateOptions<WorkerOptions>, WorkerOptionsValidator>();
builder.Services.AddSingleton<StoreMetrics>();
builder.Services.AddSingleton<RatesApi>();
builder.Services.AddSingleton<RatesClient>();
builder.Services.AddHostedService<InvoiceWorker>();

await builder.Build().RunAsync();
